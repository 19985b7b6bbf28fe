import { describe, expect, it } from 'vitest';
import { DirtyRegion, editorValue, shallowEqual, watchEditorValue } from '../../../src/renderer/editor/index.js';
import { makeEditor, stroke } from './helpers.js';

describe('dirty rects', () => {
  it('open marks the whole image; take() empties the list', () => {
    const editor = makeEditor(50, 40);
    expect(editor.takeDirtyRects()).toEqual([{ x: 0, y: 0, w: 50, h: 40 }]);
    expect(editor.takeDirtyRects()).toEqual([]);
  });

  it('a dab marks exactly its pixels; the overlay of that rect matches the mask', () => {
    const editor = makeEditor(50, 40, { settings: { brushSize: 3 } });
    editor.takeDirtyRects();
    editor.pointerDown(10.5, 10.5);
    const rects = editor.takeDirtyRects();
    expect(rects).toEqual([{ x: 9, y: 9, w: 3, h: 3 }]);
    const rgba = editor.renderOverlay(rects[0]);
    expect(Array.from(rgba.subarray(0, 4))).toEqual([255, 0, 0, 128]);
    editor.pointerUp(10.5, 10.5);
  });

  it('a stroke far from an earlier change keeps two rects; undo marks the entry bbox', () => {
    const editor = makeEditor(100, 100, { settings: { brushSize: 2 } });
    editor.takeDirtyRects();
    stroke(editor, [[5, 5]]);
    stroke(editor, [
      [80, 80],
      [90, 80],
    ]);
    expect(editor.takeDirtyRects()).toHaveLength(2);
    editor.undo();
    expect(editor.takeDirtyRects()).toEqual([{ x: 79, y: 79, w: 12, h: 2 }]);
  });

  it('touching rects merge; over the cap everything collapses into one box', () => {
    const d = new DirtyRegion(3);
    d.add({ x: 0, y: 0, w: 2, h: 2 });
    d.add({ x: 2, y: 0, w: 2, h: 2 });
    expect(d.peek()).toEqual([{ x: 0, y: 0, w: 4, h: 2 }]);
    d.add({ x: 10, y: 10, w: 1, h: 1 });
    d.add({ x: 20, y: 20, w: 1, h: 1 });
    d.add({ x: 30, y: 30, w: 1, h: 1 });
    expect(d.take()).toEqual([{ x: 0, y: 0, w: 31, h: 31 }]);
  });

  it('changing opacity re-colours everything', () => {
    const editor = makeEditor(8, 8);
    editor.takeDirtyRects();
    editor.updateSettings({ maskOpacity: 1 });
    expect(editor.takeDirtyRects()).toEqual([{ x: 0, y: 0, w: 8, h: 8 }]);
    expect(new Uint8Array(editor.getPalette().buffer).subarray(4, 8)).toEqual(Uint8Array.from([255, 0, 0, 255]));
  });
});

describe('editor values (for useEditorValue)', () => {
  it('recomputes only after a change and keeps the old object when equal', () => {
    const editor = makeEditor(20, 20);
    let computed = 0;
    const source = editorValue(editor, 'history', () => (computed++, { canUndo: editor.canUndo(), canRedo: editor.canRedo() }), shallowEqual);
    const first = source.getSnapshot();
    expect(source.getSnapshot()).toBe(first);
    expect(computed).toBe(1);
    editor.pointerMove(3, 3); // a change that leaves the value equal
    expect(source.getSnapshot()).toBe(first);
    expect(computed).toBe(2);
    stroke(editor, [[3, 3]]);
    expect(source.getSnapshot()).toEqual({ canUndo: true, canRedo: false });
  });

  it('watch fires when the value changes, not on every pointer move', () => {
    const editor = makeEditor(50, 50);
    const seen: string[] = [];
    const stop = watchEditorValue(editor, 'path', () => editor.getPath(), (p) => seen.push(p));
    stroke(editor, [
      [5, 5],
      [6, 6],
      [7, 7],
      [8, 8],
    ]);
    expect(seen).toEqual(['root.brush.drawing', 'root.brush.idle']);
    stop();
    editor.setCurrentTool('pan');
    expect(seen).toHaveLength(2);
  });

  it('a listener that throws does not break the editor', async () => {
    const editor = makeEditor(10, 10);
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onError);
    editor.on('committed', () => {
      throw new Error('disk full');
    });
    stroke(editor, [[3, 3]]);
    await new Promise((r) => setTimeout(r, 10));
    process.off('uncaughtException', onError);
    expect(editor.getPath()).toBe('root.brush.idle');
    expect(editor.canUndo()).toBe(true);
    expect(errors.map((e) => (e as Error).message)).toEqual(['disk full']);
  });
});
