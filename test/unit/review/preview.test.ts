import { describe, expect, it } from 'vitest';
import { boxDownsample } from '../../../src/main/review/preview.js';

describe('preview maps', () => {
  it('box-averages to the long side, keeps the aspect ratio and the mean', () => {
    const [w, h] = [1000, 500];
    const src = new Float32Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) src[y * w + x] = x < 500 ? 1 : 3;
    const p = boxDownsample(src, w, h, 250);
    expect([p.width, p.height]).toEqual([250, 125]);
    expect(p.data[0]).toBe(1);
    expect(p.data[249]).toBe(3);
    const mean = p.data.reduce((a, b) => a + b, 0) / p.data.length;
    expect(mean).toBeCloseTo(2, 6);
  });

  it('a single hot pixel survives as its cell average; small maps are returned as they are', () => {
    const src = new Float32Array(512 * 512);
    src[100 * 512 + 300] = 16;
    const p = boxDownsample(src, 512, 512, 128);
    expect(p.data[25 * 128 + 75]).toBeCloseTo(1, 6); // 16 / (4 x 4)
    const small = new Float32Array(64);
    expect(boxDownsample(small, 8, 8, 256).data).toBe(small);
  });
});
