import { describe, expect, it } from 'vitest';
import { fitView, imageToScreen, panBy, screenToImage, zoomAt } from '../../../src/renderer/editor/index.js';
import { countValue, makeEditor, rng } from './helpers.js';

describe('view transform', () => {
  it('screen -> image -> screen round-trips for random views and points (seed 5)', () => {
    const rand = rng(5);
    for (let k = 0; k < 500; k++) {
      const view = { scale: 0.02 + rand() * 40, offsetX: rand() * 2000 - 1000, offsetY: rand() * 2000 - 1000 };
      const p = { x: rand() * 4000 - 500, y: rand() * 4000 - 500 };
      const back = imageToScreen(view, screenToImage(view, p));
      expect(back.x).toBeCloseTo(p.x, 6);
      expect(back.y).toBeCloseTo(p.y, 6);
    }
  });

  it('fit centres the image at the largest scale that fits', () => {
    expect(fitView(400, 200, 800, 800)).toEqual({ scale: 2, offsetX: 0, offsetY: 200 });
    expect(fitView(400, 200, 820, 820, 10)).toEqual({ scale: 2, offsetX: 10, offsetY: 210 });
    // a 4096 image in a 1024 viewport: 1/4
    expect(fitView(4096, 4096, 1024, 768).scale).toBe(768 / 4096);
  });

  it('zoomAt keeps the image point under the anchor in place', () => {
    const view = { scale: 1.5, offsetX: 30, offsetY: -20 };
    const anchor = { x: 300, y: 200 };
    const before = screenToImage(view, anchor);
    const z = zoomAt(view, anchor, 2);
    expect(z.scale).toBe(3);
    const after = screenToImage(z, anchor);
    expect(after.x).toBeCloseTo(before.x, 9);
    expect(after.y).toBeCloseTo(before.y, 9);
  });

  it('zoom is clamped to the limits', () => {
    expect(zoomAt({ scale: 1, offsetX: 0, offsetY: 0 }, { x: 0, y: 0 }, 1e9).scale).toBe(64);
    expect(zoomAt({ scale: 1, offsetX: 0, offsetY: 0 }, { x: 0, y: 0 }, 1e-9).scale).toBe(1 / 64);
    expect(panBy({ scale: 2, offsetX: 1, offsetY: 2 }, 10, -5)).toEqual({ scale: 2, offsetX: 11, offsetY: -3 });
  });

  it('pointer events are converted through the view: a click at screen (21, 31) with scale 2, offset (10, 20) paints pixel (5, 5)', () => {
    const editor = makeEditor(10, 10, { settings: { brushSize: 1 } });
    editor.setView({ scale: 2, offsetX: 10, offsetY: 20 });
    editor.pointerDown(21, 31);
    editor.pointerUp(21, 31);
    expect(editor.getPixel(5, 5)).toBe(1);
    expect(countValue(editor.getMask(), 1)).toBe(1);
  });

  it('the viewport fits on open and keyboard zoom/pan work without a wheel', () => {
    const editor = makeEditor(400, 200, { viewport: { width: 832, height: 832 } });
    expect(editor.getView()).toEqual({ scale: 2, offsetX: 16, offsetY: 216 });
    editor.keyDown('+');
    expect(editor.getView().scale).toBeCloseTo(2.5, 9);
    // the viewport centre stays on the same image point
    const c = editor.screenToImage({ x: 416, y: 416 });
    expect(c.x).toBeCloseTo(200, 9);
    expect(c.y).toBeCloseTo(100, 9);
    editor.keyDown('ArrowLeft');
    expect(editor.screenToImage({ x: 416, y: 416 }).x).toBeCloseTo(200 - 64 / 2.5, 9);
    editor.keyDown('0');
    expect(editor.getView()).toEqual({ scale: 2, offsetX: 16, offsetY: 216 });
  });
});
