import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/main/engine/rng.js';
import { EpochOrder, makeCoreBatch, prefetching, sampleView, type SourceImage } from '../../../../src/main/models/core/augment.js';

function source(w: number, h: number, seed: number): SourceImage {
  const r = new Rng(seed);
  return { file: `img${seed}.png`, width: w, height: h, data: Uint8Array.from({ length: w * h * 3 }, () => Math.floor(r.next() * 256)) };
}

describe('CoRe augmentation', () => {
  it('a batch depends only on (seed, step): same views for the same step, different for another', () => {
    const images = [source(40, 50, 1), source(64, 36, 2), source(48, 48, 3)];
    const a = makeCoreBatch(images, new EpochOrder(3, 5), 4, 5, 2, 32);
    const b = makeCoreBatch(images, new EpochOrder(3, 5), 4, 5, 2, 32);
    const c = makeCoreBatch(images, new EpochOrder(3, 5), 5, 5, 2, 32);
    for (const k of ['view1', 'view2', 'corrupted', 'original']) {
      expect(a[k].dims).toEqual([2, 3, 32, 32]);
      expect(Array.from(a[k].data as Float32Array)).toEqual(Array.from(b[k].data as Float32Array));
    }
    expect(Array.from(a.view1.data as Float32Array)).not.toEqual(Array.from(c.view1.data as Float32Array));
    expect(Array.from(a.view1.data as Float32Array)).not.toEqual(Array.from(a.view2.data as Float32Array));
    // Views are standardised like the methods' inputs (mean 0.5, std 0.2 each); the restorative target stays in [0, 1].
    const n = 3 * 32 * 32;
    for (const k of ['view1', 'view2']) {
      const v = (a[k].data as Float32Array).subarray(n, 2 * n);
      const mean = v.reduce((s, x) => s + x, 0) / n;
      const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / n);
      expect(mean).toBeCloseTo(0.5, 4);
      expect(sd).toBeCloseTo(0.2, 3);
    }
    const o = a.original.data as Float32Array;
    expect(Math.min(...o)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...o)).toBeLessThanOrEqual(1);
    // Without standardisation the views stay in [0, 1].
    const raw = makeCoreBatch(images, new EpochOrder(3, 5), 4, 5, 2, 32, { standardise: false }).view1.data as Float32Array;
    expect(Math.min(...raw)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...raw)).toBeLessThanOrEqual(1);
  });

  it('a view without photometric jitter only resamples the source (values stay within its range)', () => {
    const flat: SourceImage = { file: 'flat', width: 30, height: 30, data: new Uint8Array(30 * 30 * 3).fill(102) };
    const out = new Float32Array(3 * 16 * 16);
    sampleView(flat, 16, new Rng(1), out, 0, { photometric: false });
    for (const x of out) expect(x).toBeCloseTo(102 / 255, 6);
  });

  it('each epoch visits every image once in a seeded order', () => {
    const order = new EpochOrder(7, 3);
    for (const epoch of [0, 1, 5]) {
      const seen = Array.from({ length: 7 }, (_, i) => order.at(epoch * 7 + i)).sort();
      expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
    }
    expect(Array.from({ length: 7 }, (_, i) => order.at(i))).not.toEqual(Array.from({ length: 7 }, (_, i) => order.at(7 + i)));
  });

  it('prefetching returns the same batch for each step and builds the next one ahead', async () => {
    const built: number[] = [];
    const next = prefetching((s: number) => {
      built.push(s);
      return { step: s };
    });
    expect(next(0)).toEqual({ step: 0 });
    await new Promise((r) => setImmediate(r));
    expect(built).toEqual([0, 1]);
    expect(next(1)).toEqual({ step: 1 });
    expect(built).toEqual([0, 1]); // served from the prefetch
    await new Promise((r) => setImmediate(r));
    expect(next(7)).toEqual({ step: 7 }); // a jump (resume) builds on demand
  });
});
