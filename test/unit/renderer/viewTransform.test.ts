import { describe, expect, it } from 'vitest';
import { actualSizeView, fitView, imageToScreen, panBy, screenToImage, wheelZoomFactor, zoomAt, MAX_SCALE } from '../../../src/renderer/viewer/viewTransform.js';
import { ViewerStore } from '../../../src/renderer/viewer/ViewerStore.js';

describe('viewTransform', () => {
  it('fits a 200x100 image into a 420x420 viewport with a 10px margin: scale 2, centred', () => {
    const v = fitView({ width: 200, height: 100 }, { width: 420, height: 420 }, 10);
    expect(v).toEqual({ scale: 2, x: 10, y: 110 });
  });

  it('zooming keeps the image point under the cursor fixed', () => {
    const v0 = { scale: 1, x: 0, y: 0 };
    const anchor = { x: 30, y: 40 };
    const before = screenToImage(v0, anchor);
    const v1 = zoomAt(v0, 2, anchor);
    expect(v1.scale).toBe(2);
    expect(imageToScreen(v1, before)).toEqual(anchor);
    expect(v1).toEqual({ scale: 2, x: -30, y: -40 });
  });

  it('clamps the scale and still keeps the anchor fixed', () => {
    const v = zoomAt({ scale: 40, x: 5, y: 5 }, 10, { x: 100, y: 100 });
    expect(v.scale).toBe(MAX_SCALE);
    const p = screenToImage({ scale: 40, x: 5, y: 5 }, { x: 100, y: 100 });
    const q = imageToScreen(v, p);
    expect(q.x).toBeCloseTo(100, 9);
    expect(q.y).toBeCloseTo(100, 9);
  });

  it('1:1 keeps the image point at the viewport centre', () => {
    const vp = { width: 400, height: 300 };
    const v = { scale: 0.5, x: 10, y: 20 };
    const centre = screenToImage(v, { x: 200, y: 150 });
    const a = actualSizeView(v, vp);
    expect(a.scale).toBe(1);
    expect(imageToScreen(a, centre)).toEqual({ x: 200, y: 150 });
  });

  it('wheel up zooms in, wheel down zooms out, by reciprocal factors', () => {
    expect(wheelZoomFactor(-100)).toBeGreaterThan(1);
    expect(wheelZoomFactor(100)).toBeLessThan(1);
    expect(wheelZoomFactor(-100) * wheelZoomFactor(100)).toBeCloseTo(1, 12);
    expect(panBy({ scale: 3, x: 1, y: 2 }, 4, -5)).toEqual({ scale: 3, x: 5, y: -3 });
  });
});

describe('ViewerStore', () => {
  it('re-fits on viewport resize while fitted, keeps the zoom after the user zoomed', () => {
    const s = new ViewerStore();
    s.setViewport({ width: 232, height: 232 }); // 16 px fit margin each side leaves 200
    s.setImage({ width: 100, height: 100 });
    expect(s.get().view.scale).toBe(2);
    s.setViewport({ width: 432, height: 432 });
    expect(s.get().view.scale).toBe(4);
    s.zoom(0.5);
    expect(s.get().fitted).toBe(false);
    s.setViewport({ width: 532, height: 432 });
    expect(s.get().view.scale).toBe(2);
    s.fit();
    expect(s.get().view.scale).toBe(4);
  });

  it('keeps a zoomed view for the next image of the same size, re-fits for another size', () => {
    const s = new ViewerStore();
    s.setViewport({ width: 432, height: 432 });
    s.setImage({ width: 100, height: 100 });
    s.zoom(2, { x: 0, y: 0 });
    const zoomed = s.get().view;
    s.setImage({ width: 100, height: 100 });
    expect(s.get().view).toEqual(zoomed);
    s.setImage({ width: 200, height: 100 });
    expect(s.get().view.scale).toBe(2);
  });

  it('notifies subscribers once per change and not for no-op pans', () => {
    const s = new ViewerStore();
    let calls = 0;
    s.subscribe(() => calls++);
    s.pan(0, 0);
    s.pan(3, 4);
    s.toggleMask();
    s.setShowMask(s.get().showMask);
    expect(calls).toBe(2);
  });
});
