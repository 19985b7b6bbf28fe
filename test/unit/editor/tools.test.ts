import { describe, expect, it } from 'vitest';
import { StateNode } from '../../../src/renderer/editor/index.js';
import { countValue, editorRows, expectPathToBe, makeEditor, stroke } from './helpers.js';

describe('tool state paths', () => {
  it('starts in root.brush.idle and goes to drawing while the pointer is down', () => {
    const editor = makeEditor(20, 20);
    expectPathToBe(editor, 'root.brush.idle');
    editor.pointerDown(5, 5);
    expectPathToBe(editor, 'root.brush.drawing');
    editor.pointerMove(10, 5);
    expectPathToBe(editor, 'root.brush.drawing');
    editor.pointerUp(10, 5);
    expectPathToBe(editor, 'root.brush.idle');
  });

  it('a right-button press does not start a stroke', () => {
    const editor = makeEditor(20, 20);
    editor.pointerDown(5, 5, { button: 2 });
    expectPathToBe(editor, 'root.brush.idle');
    expect(countValue(editor.getMask(), 0)).toBe(400);
  });

  it('Escape during a stroke puts every pixel back and records nothing', () => {
    const editor = makeEditor(20, 20);
    editor.pointerDown(5, 5);
    editor.pointerMove(15, 15);
    expect(countValue(editor.getMask(), 1)).toBeGreaterThan(0);
    editor.keyDown('Escape');
    expectPathToBe(editor, 'root.brush.idle');
    expect(countValue(editor.getMask(), 1)).toBe(0);
    expect(editor.canUndo()).toBe(false);
    expect(editor.isEditOpen()).toBe(false);
  });

  it('switching tool mid-stroke keeps the stroke (interrupt commits it)', () => {
    const editor = makeEditor(20, 20, { settings: { brushSize: 2 } });
    editor.pointerDown(5, 5);
    editor.pointerMove(15, 5);
    editor.setCurrentTool('eraser');
    expectPathToBe(editor, 'root.eraser.idle');
    expect(editor.getHistoryStats().undoEntries).toBe(1);
    expect(countValue(editor.getMask(), 1)).toBeGreaterThan(0);
  });

  it('eraser, fill, heatmap and pan each have their own states', () => {
    const editor = makeEditor(20, 20);
    editor.setCurrentTool('eraser');
    editor.pointerDown(1, 1);
    expectPathToBe(editor, 'root.eraser.erasing');
    editor.pointerUp(1, 1);
    editor.setCurrentTool('fill');
    editor.pointerDown(1, 1);
    expectPathToBe(editor, 'root.fill.pointing');
    editor.pointerUp(1, 1);
    expectPathToBe(editor, 'root.fill.idle');
    editor.setCurrentTool('pan');
    editor.pointerDown(1, 1);
    expectPathToBe(editor, 'root.pan.panning');
    editor.pointerUp(1, 1);
    editor.setCurrentTool('heatmap');
    expectPathToBe(editor, 'root.heatmap.idle');
  });

  it('a fill press that turns into a drag does not fill', () => {
    const editor = makeEditor(20, 20);
    editor.setCurrentTool('fill');
    editor.pointerDown(1, 1);
    editor.pointerMove(10, 1);
    expectPathToBe(editor, 'root.fill.idle');
    editor.pointerUp(10, 1);
    expect(countValue(editor.getMask(), 1)).toBe(0);
  });

  it('pan drags the view and Escape puts it back', () => {
    const editor = makeEditor(20, 20);
    editor.setCurrentTool('pan');
    editor.pointerDown(10, 10);
    editor.pointerMove(25, 4);
    expect(editor.getView()).toEqual({ scale: 1, offsetX: 15, offsetY: -6 });
    editor.keyDown('Escape');
    expect(editor.getView()).toEqual({ scale: 1, offsetX: 0, offsetY: 0 });
    expectPathToBe(editor, 'root.pan.idle');
  });

  it('the middle button pans from any tool without painting', () => {
    const editor = makeEditor(20, 20);
    editor.pointerDown(10, 10, { button: 1 });
    editor.pointerMove(12, 13, { button: 1 });
    editor.pointerUp(12, 13, { button: 1 });
    expectPathToBe(editor, 'root.brush.idle');
    expect(editor.getView()).toEqual({ scale: 1, offsetX: 2, offsetY: 3 });
    expect(countValue(editor.getMask(), 1)).toBe(0);
  });

  it('holding Space makes drags pan without leaving the tool, so a polygon draft survives', () => {
    const editor = makeEditor(8, 8);
    editor.setView({ scale: 10, offsetX: 0, offsetY: 0 });
    editor.setCurrentTool('polygon');
    const click = (x: number, y: number) => {
      editor.pointerDown(x, y);
      editor.pointerUp(x, y);
    };
    click(20, 20);
    click(60, 20);
    expect(editor.keyDown(' ')).toBe(true);
    editor.keyDown(' '); // key repeat while held
    editor.pointerDown(50, 50);
    editor.pointerMove(40, 30);
    editor.pointerUp(40, 30);
    expect(editor.getView()).toEqual({ scale: 10, offsetX: -10, offsetY: -20 });
    expectPathToBe(editor, 'root.polygon.drafting');
    expect(editor.keyUp(' ')).toBe(true);
    expect(editor.keyUp(' ')).toBe(false);
    // image (6,6) and (2,6) are now at screen (50,40) and (10,40)
    click(50, 40);
    click(10, 40);
    editor.keyDown('Enter');
    expect(editorRows(editor)[2]).toBe('..1111..');
    expect(countValue(editor.getMask(), 1)).toBe(16);
  });

  it('the heatmap tool without an anomaly map tells the user instead of throwing', () => {
    const editor = makeEditor(4, 4);
    const notices: string[] = [];
    editor.on('notice', (n) => notices.push(`${n.level}: ${n.message}`));
    editor.setCurrentTool('heatmap');
    editor.keyDown('Enter');
    editor.pointerDown(1, 1);
    editor.pointerUp(1, 1);
    expect(notices).toEqual([
      'warning: This image has no anomaly map yet; run the model on it (Review) to propose a mask.',
      'warning: This image has no anomaly map yet; run the model on it (Review) to propose a mask.',
    ]);
    editor.setHeatmap({ width: 1, height: 1, data: Float32Array.from([0.1]) });
    editor.keyDown('Enter');
    expect(notices[2]).toMatch(/^info: The proposal at this threshold adds no pixels/);
    expect(editor.canUndo()).toBe(false);
  });

  it('a transition to a missing state fails and names the state', () => {
    const editor = makeEditor(4, 4);
    const brush = (editor as unknown as { root: StateNode }).root.children.get('brush')!;
    expect(() => brush.transition('flying')).toThrow('brush - no child state exists with the id flying.');
  });

  it('an unknown tool id is a clear error', () => {
    const editor = makeEditor(4, 4);
    expect(() => editor.setCurrentTool('lasso' as never)).toThrow(/no tool "lasso"/);
  });

  it('keyboard shortcuts pick tools, classes and brush size', () => {
    const editor = makeEditor(20, 20, { settings: { brushSize: 20 } });
    expect(editor.keyDown('e')).toBe(true);
    expectPathToBe(editor, 'root.eraser.idle');
    editor.keyDown('P');
    expectPathToBe(editor, 'root.polygon.idle');
    editor.keyDown('2');
    expect(editor.getCurrentClassId()).toBe(2);
    editor.keyDown('9'); // no 9th class: ignored
    expect(editor.getCurrentClassId()).toBe(2);
    editor.keyDown(']');
    expect(editor.getBrushSize()).toBe(25);
    editor.keyDown('[');
    expect(editor.getBrushSize()).toBe(20);
    expect(editor.keyDown('q')).toBe(false);
  });

  it('reads modifiers from event objects whose flags are prototype getters (DOM events)', () => {
    class FakeKeyboardEvent {
      get ctrlKey() {
        return true;
      }
      get shiftKey() {
        return false;
      }
    }
    const editor = makeEditor(6, 1, { settings: { brushSize: 1 } });
    stroke(editor, [[0.5, 0.5]]);
    expect(editor.keyDown('z', new FakeKeyboardEvent())).toBe(true);
    expect(editor.canUndo()).toBe(false);
    expect(editor.canRedo()).toBe(true);
  });

  it('one change event per pointer call, however much changed inside it', () => {
    const editor = makeEditor(50, 50);
    let changes = 0;
    editor.subscribe(() => changes++);
    stroke(editor, [
      [5, 5],
      [20, 20],
      [40, 5],
    ]);
    expect(changes).toBe(4);
  });
});

describe('polygon tool', () => {
  it('clicks, then a double-click, fill the square (2,2)-(6,6): 16 pixels', () => {
    // Zoomed in 10x so the vertices are further apart on screen than the close-to-first-vertex distance.
    const editor = makeEditor(8, 8);
    editor.setView({ scale: 10, offsetX: 0, offsetY: 0 });
    editor.setCurrentTool('polygon');
    for (const [x, y] of [
      [20, 20],
      [60, 20],
      [60, 60],
    ]) {
      editor.pointerDown(x, y);
      editor.pointerUp(x, y);
    }
    expectPathToBe(editor, 'root.polygon.drafting');
    // A double-click delivers down, up, down, up, dblclick at the same place.
    editor.pointerDown(20, 60);
    editor.pointerUp(20, 60);
    editor.pointerDown(20, 60);
    editor.pointerUp(20, 60);
    expect(editor.getPolygonDraft()!.points).toHaveLength(4);
    editor.doubleClick(20, 60);
    expectPathToBe(editor, 'root.polygon.idle');
    expect(editor.getPolygonDraft()).toBeNull();
    expect(editorRows(editor)).toEqual(['........', '........', '..1111..', '..1111..', '..1111..', '..1111..', '........', '........']);
    expect(editor.getHistoryStats().undoEntries).toBe(1);
  });

  it('Enter closes, Backspace removes the last point, Escape drops the draft', () => {
    const editor = makeEditor(8, 8);
    editor.setCurrentTool('polygon');
    const click = (x: number, y: number) => {
      editor.pointerDown(x, y);
      editor.pointerUp(x, y);
    };
    click(0, 0);
    click(4, 0);
    click(7, 7); // a mistake
    expect(editor.keyDown('Backspace')).toBe(true);
    expect(editor.getPolygonDraft()!.points).toEqual([
      { x: 0, y: 0 },
      { x: 4, y: 0 },
    ]);
    click(0, 4);
    editor.keyDown('Enter');
    expectPathToBe(editor, 'root.polygon.idle');
    // Triangle (0,0),(4,0),(0,4): pixel centres with x + y < 3 -> 3 + 2 + 1 = 6 pixels.
    expect(countValue(editor.getMask(), 1)).toBe(6);

    click(5, 5);
    click(7, 5);
    click(7, 7);
    editor.keyDown('Escape');
    expectPathToBe(editor, 'root.polygon.idle');
    expect(editor.getPolygonDraft()).toBeNull();
    expect(countValue(editor.getMask(), 1)).toBe(6);
  });

  it('clicking within 8 screen px of the first vertex closes the polygon', () => {
    const editor = makeEditor(8, 8);
    editor.setView({ scale: 10, offsetX: 0, offsetY: 0 });
    editor.setCurrentTool('polygon');
    for (const [x, y] of [
      [20, 20],
      [60, 20],
      [60, 60],
      [20, 60],
      [25, 25],
    ]) {
      editor.pointerDown(x, y);
      editor.pointerUp(x, y);
    }
    expectPathToBe(editor, 'root.polygon.idle');
    expect(countValue(editor.getMask(), 1)).toBe(16);
  });

  it('a polygon with fewer than 3 points closes to nothing', () => {
    const editor = makeEditor(8, 8);
    editor.setCurrentTool('polygon');
    editor.pointerDown(1, 1);
    editor.pointerUp(1, 1);
    editor.pointerDown(5, 5);
    editor.pointerUp(5, 5);
    editor.keyDown('Enter');
    expectPathToBe(editor, 'root.polygon.idle');
    expect(editor.canUndo()).toBe(false);
  });
});
