import { describe, expect, it } from 'vitest';
import {
  fillPolygon,
  floodFill,
  plainWriter,
  polygonSpans,
  removeSmallComponents,
  thresholdHeatmap,
  type Heatmap,
} from '../../../src/renderer/editor/index.js';
import { countValue, editorRows, makeEditor, maskRows, rowsToMask } from './helpers.js';

describe('polygon scanline fill (even-odd)', () => {
  it('square (2,2)-(6,6) paints exactly 4 x 4 pixels', () => {
    const w = plainWriter(8, 8);
    fillPolygon(w, [{ x: 2, y: 2 }, { x: 6, y: 2 }, { x: 6, y: 6 }, { x: 2, y: 6 }], { value: 1 });
    expect(countValue(w.data, 1)).toBe(16);
    expect(maskRows(w.data, 8, 8)[2]).toBe('..1111..');
  });

  it('right triangle (0,0),(4,0),(0,4) paints the 6 pixels whose centres satisfy x + y < 4', () => {
    const w = plainWriter(5, 5);
    fillPolygon(w, [{ x: 0, y: 0 }, { x: 4, y: 0 }, { x: 0, y: 4 }], { value: 1 });
    expect(maskRows(w.data, 5, 5)).toEqual(['111..', '11...', '1....', '.....', '.....']);
  });

  it('two squares sharing an edge do not both paint its pixels', () => {
    const a = polygonSpans([{ x: 0, y: 0 }, { x: 3, y: 0 }, { x: 3, y: 3 }, { x: 0, y: 3 }], 10, 10);
    const b = polygonSpans([{ x: 3, y: 0 }, { x: 6, y: 0 }, { x: 6, y: 3 }, { x: 3, y: 3 }], 10, 10);
    // spans are (y, x0, x1): a covers x 0..2, b covers x 3..5 on every row
    expect(a).toEqual([0, 0, 2, 1, 0, 2, 2, 0, 2]);
    expect(b).toEqual([0, 3, 5, 1, 3, 5, 2, 3, 5]);
  });

  it('a self-intersecting pentagram leaves its centre empty', () => {
    const cx = 20;
    const cy = 20;
    const pts = [0, 2, 4, 1, 3].map((k) => {
      const a = -Math.PI / 2 + (k * 2 * Math.PI) / 5;
      return { x: cx + 18 * Math.cos(a), y: cy + 18 * Math.sin(a) };
    });
    const w = plainWriter(40, 40);
    fillPolygon(w, pts, { value: 1 });
    expect(w.data[20 * 40 + 20]).toBe(0); // centre: crossed twice -> outside
    expect(w.data[6 * 40 + 20]).toBe(1); // inside the top point
  });

  it('clips to the image', () => {
    const w = plainWriter(4, 4);
    fillPolygon(w, [{ x: -10, y: -10 }, { x: 10, y: -10 }, { x: 10, y: 10 }, { x: -10, y: 10 }], { value: 2 });
    expect(countValue(w.data, 2)).toBe(16);
  });
});

describe('flood fill (4-connected)', () => {
  it('stops at a wall of another class', () => {
    const mask = rowsToMask(['..1..', '..1..', '..1..']);
    const w = plainWriter(5, 3, mask);
    floodFill(w, { x: 0, y: 0 }, { value: 2 });
    expect(maskRows(w.data, 5, 3)).toEqual(['221..', '221..', '221..']);
  });

  it('does not leak through a diagonal barrier (only diagonal neighbours connect)', () => {
    const mask = rowsToMask(['...1', '..1.', '.1..', '1...']);
    const w = plainWriter(4, 4, mask);
    floodFill(w, { x: 0, y: 0 }, { value: 2 });
    expect(maskRows(w.data, 4, 4)).toEqual(['2221', '221.', '21..', '1...']);
  });

  it('fills a region of a class with another class, and refilling with the same class changes nothing', () => {
    const mask = rowsToMask(['11.', '1..', '..1']);
    const w = plainWriter(3, 3, mask);
    expect(floodFill(w, { x: 0, y: 0 }, { value: 1 })).toBeNull();
    floodFill(w, { x: 0, y: 0 }, { value: 2 });
    expect(maskRows(w.data, 3, 3)).toEqual(['22.', '2..', '..1']);
  });

  it('with image intensity and a tolerance, follows the dark region only', () => {
    // left 3 columns dark (10..25), right 3 bright (200); mask all background
    const gray = new Uint8Array(6 * 2);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 6; x++) gray[y * 6 + x] = x < 3 ? 10 + 5 * x : 200;
    const editor = makeEditor(6, 2, { gray, settings: { fillTolerance: 10 } });
    editor.setCurrentTool('fill');
    editor.pointerDown(0.5, 0.5);
    editor.pointerUp(0.5, 0.5);
    // seed 10: 10, 15, 20 within 10; 200 not
    expect(editorRows(editor)).toEqual(['111...', '111...']);
    editor.updateSettings({ fillTolerance: null });
    editor.undo();
    editor.pointerDown(0.5, 0.5);
    editor.pointerUp(0.5, 0.5);
    expect(editorRows(editor)).toEqual(['111111', '111111']);
  });

  it('a click outside the image does nothing', () => {
    const editor = makeEditor(4, 4);
    expect(editor.applyFill({ x: -1, y: 2 })).toBeNull();
    expect(editor.canUndo()).toBe(false);
  });
});

describe('heatmap to mask', () => {
  const map: Heatmap = {
    width: 4,
    height: 3,
    data: Float32Array.from([0.1, 0.9, 0.2, 0.5, 0.4, 0.6, 0.3, 0.1, 0.7, 0.0, 0.0, NaN]),
  };

  it('selects pixels at or above the threshold (NaN never)', () => {
    expect(maskRows(thresholdHeatmap(map, 4, 3, { threshold: 0.5 }), 4, 3)).toEqual(['.1.1', '.1..', '1...']);
  });

  it('drops components smaller than minArea', () => {
    // components at 0.5: {(1,0),(1,1)} size 2, {(3,0)} size 1, {(0,2)} size 1
    expect(maskRows(thresholdHeatmap(map, 4, 3, { threshold: 0.5, minArea: 2 }), 4, 3)).toEqual(['.1..', '.1..', '....']);
    const sel = rowsToMask(['1.11', '....', '111.']);
    removeSmallComponents(sel, 4, 3, 3);
    expect(maskRows(sel, 4, 3)).toEqual(['....', '....', '111.']);
  });

  it('samples a smaller map bilinearly at mask pixel centres', () => {
    // 2x1 map [0, 1] onto 4 columns: x positions -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1) -> 0, .25, .75, 1
    const small: Heatmap = { width: 2, height: 1, data: Float32Array.from([0, 1]) };
    expect(maskRows(thresholdHeatmap(small, 4, 1, { threshold: 0.5 }), 4, 1)).toEqual(['..11']);
    expect(maskRows(thresholdHeatmap(small, 4, 1, { threshold: 0.2 }), 4, 1)).toEqual(['.111']);
  });

  it('Enter in the heatmap tool applies the whole proposal as the current class, as one undo step', () => {
    const editor = makeEditor(4, 3, { heatmap: map, settings: { threshold: 0.5 } });
    editor.setCurrentClass(2);
    editor.setCurrentTool('heatmap');
    editor.keyDown('Enter');
    expect(editorRows(editor)).toEqual(['.2.2', '.2..', '2...']);
    editor.undo();
    expect(editorRows(editor)).toEqual(['....', '....', '....']);
  });

  it('a click applies only the component under the pointer; a click below threshold does nothing', () => {
    const editor = makeEditor(4, 3, { heatmap: map, settings: { threshold: 0.5 } });
    editor.setCurrentTool('heatmap');
    editor.pointerDown(1.5, 1.5);
    editor.pointerUp(1.5, 1.5);
    expect(editorRows(editor)).toEqual(['.1..', '.1..', '....']);
    editor.pointerDown(2.5, 2.5);
    editor.pointerUp(2.5, 2.5);
    expect(editor.getHistoryStats().undoEntries).toBe(1);
  });

  it('bad maps and thresholds are clear errors', () => {
    const editor = makeEditor(4, 3);
    expect(() => editor.applyHeatmapProposal()).toThrow(/No anomaly map/);
    expect(() => editor.setHeatmap({ width: 4, height: 4, data: new Float32Array(3) })).toThrow(/has 3 values but its size 4 x 4 needs 16/);
    expect(() => thresholdHeatmap(map, 4, 3, { threshold: NaN })).toThrow(/not a finite number/);
  });
});
