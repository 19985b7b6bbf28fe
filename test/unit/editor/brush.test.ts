import { describe, expect, it } from 'vitest';
import { paintSegment, plainWriter } from '../../../src/renderer/editor/index.js';
import { countValue, editorRows, makeEditor, maskRows, rng, stroke } from './helpers.js';

/** Reference definition, pixel by pixel: centre within r of the segment. */
function bruteCapsule(w: number, h: number, ax: number, ay: number, bx: number, by: number, r: number): Uint8Array {
  const out = new Uint8Array(w * h);
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
      const d2 = (px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2;
      if (d2 <= r * r) out[y * w + x] = 1;
    }
  }
  return out;
}

describe('brush rasterisation', () => {
  it('a size-3 dab at a pixel centre paints the 3 x 3 block around it', () => {
    const w = plainWriter(7, 7);
    paintSegment(w, { x: 3.5, y: 3.5 }, { x: 3.5, y: 3.5 }, 1.5, { value: 1 });
    expect(maskRows(w.data, 7, 7)).toEqual(['.......', '.......', '..111..', '..111..', '..111..', '.......', '.......']);
  });

  it('a size-5 dab paints a 5 x 5 block without its corners (21 pixels: corners are 2.83 > 2.5 away)', () => {
    const w = plainWriter(7, 7);
    paintSegment(w, { x: 3.5, y: 3.5 }, { x: 3.5, y: 3.5 }, 2.5, { value: 2 });
    expect(maskRows(w.data, 7, 7)).toEqual(['.......', '..222..', '.22222.', '.22222.', '.22222.', '..222..', '.......']);
    expect(countValue(w.data, 2)).toBe(21);
  });

  it('clips at the image border', () => {
    const w = plainWriter(4, 3);
    const rect = paintSegment(w, { x: 0.5, y: 0.5 }, { x: 0.5, y: 0.5 }, 1.5, { value: 1 });
    expect(maskRows(w.data, 4, 3)).toEqual(['11..', '11..', '....']);
    expect(rect).toEqual({ x: 0, y: 0, w: 2, h: 2 });
  });

  it('matches the per-pixel distance definition on random segments (seed 7)', () => {
    const rand = rng(7);
    for (let k = 0; k < 200; k++) {
      const W = 40;
      const H = 30;
      const a = { x: rand() * 50 - 5, y: rand() * 40 - 5 };
      const b = { x: rand() * 50 - 5, y: rand() * 40 - 5 };
      const r = 1 + rand() * 8; // >= 1: the Bresenham supplement for thin brushes is not part of the definition
      const w = plainWriter(W, H);
      paintSegment(w, a, b, r, { value: 1 });
      const ref = bruteCapsule(W, H, a.x, a.y, b.x, b.y, r);
      let diff = 0;
      for (let i = 0; i < ref.length; i++) if (ref[i] !== w.data[i]) diff++;
      expect(diff, `case ${k}: a=${JSON.stringify(a)} b=${JSON.stringify(b)} r=${r}`).toBe(0);
    }
  });

  it('a 1-px brush leaves a connected line even when samples are far apart', () => {
    const w = plainWriter(10, 6);
    paintSegment(w, { x: 0.5, y: 0.5 }, { x: 9.5, y: 5.5 }, 0.5, { value: 1 });
    const rows = maskRows(w.data, 10, 6);
    for (let x = 0; x < 10; x++) expect(rows.some((r) => r[x] === '1'), `column ${x}`).toBe(true);
    expect(rows[0][0]).toBe('1');
    expect(rows[5][9]).toBe('1');
  });

  it('onlyWhere restricts writes to pixels of one class', () => {
    const w = plainWriter(5, 1, Uint8Array.from([0, 2, 2, 0, 1]));
    paintSegment(w, { x: 0, y: 0.5 }, { x: 5, y: 0.5 }, 0.5, { value: 1, onlyWhere: 0 });
    expect(maskRows(w.data, 5, 1)).toEqual(['1221' + '1']);
  });
});

describe('brush tool', () => {
  it('a stroke with two far-apart samples paints the whole capsule between them (no gaps)', () => {
    const editor = makeEditor(100, 20, { settings: { brushSize: 4 } });
    stroke(editor, [
      [2, 10],
      [90, 10],
    ]);
    const rows = editorRows(editor);
    for (let y = 8; y <= 11; y++) for (let x = 2; x < 90; x++) expect(rows[y][x], `(${x}, ${y})`).toBe('1');
    expect(rows[7]).toBe('.'.repeat(100));
    expect(rows[12]).toBe('.'.repeat(100));
  });

  it('paints the current class', () => {
    const editor = makeEditor(7, 7, { settings: { brushSize: 1 } });
    editor.setCurrentClass(2);
    stroke(editor, [[3.5, 3.5]]);
    expect(editor.getPixel(3, 3)).toBe(2);
    expect(countValue(editor.getMask(), 2)).toBe(1);
  });

  it('Shift+press draws a straight line from the end of the previous stroke', () => {
    const editor = makeEditor(10, 3, { settings: { brushSize: 1 } });
    stroke(editor, [[0.5, 1.5]]);
    stroke(editor, [[9.5, 1.5]], { shiftKey: true });
    expect(editorRows(editor)[1]).toBe('1111111111');
    expect(editor.getHistoryStats().undoEntries).toBe(2);
  });

  it('protectOtherClasses keeps existing pixels of other classes', () => {
    const editor = makeEditor(5, 1, { settings: { brushSize: 1, protectOtherClasses: true }, mask: Uint8Array.from([0, 2, 0, 2, 0]) });
    stroke(editor, [
      [0.5, 0.5],
      [4.5, 0.5],
    ]);
    expect(editorRows(editor)).toEqual(['12121']);
  });
});

describe('eraser tool', () => {
  it('erases every class by default', () => {
    const editor = makeEditor(6, 1, { settings: { brushSize: 1 }, mask: Uint8Array.from([1, 1, 2, 2, 1, 1]) });
    editor.setCurrentTool('eraser');
    stroke(editor, [
      [1.5, 0.5],
      [4.5, 0.5],
    ]);
    expect(editorRows(editor)).toEqual(['1....1']);
  });

  it('with eraseOnlyCurrentClass, erases only the current class', () => {
    const editor = makeEditor(6, 1, { settings: { brushSize: 1, eraseOnlyCurrentClass: true }, mask: Uint8Array.from([1, 1, 2, 2, 1, 1]) });
    editor.setCurrentTool('eraser');
    editor.setCurrentClass(2);
    stroke(editor, [
      [0.5, 0.5],
      [5.5, 0.5],
    ]);
    expect(editorRows(editor)).toEqual(['11..11']);
  });

  it('erasing empty background makes no history entry and no committed event', () => {
    const editor = makeEditor(10, 10);
    let committed = 0;
    editor.on('committed', () => committed++);
    editor.setCurrentTool('eraser');
    stroke(editor, [
      [2, 2],
      [8, 8],
    ]);
    expect(editor.getHistoryStats().undoEntries).toBe(0);
    expect(committed).toBe(0);
  });
});
