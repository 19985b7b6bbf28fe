import { describe, expect, it } from 'vitest';
import { greedyCoreset, greedyCoresetSmall } from '../../../src/main/models/patchcore/coreset.js';

describe('greedy coreset', () => {
  // 1-D points 0..10 plus a cluster near 5: k-center from 0 picks 10 (farthest), then 5, then 2.5-ish...
  const pts = Float32Array.from([0, 1, 2, 3, 4, 5, 5.1, 5.2, 6, 7, 8, 9, 10]);
  it('picks the farthest point each time (typed-array loop)', () => {
    const picks = Array.from(greedyCoresetSmall(pts, pts.length, 1, 3, 0));
    expect(picks.slice(0, 2).map((i) => pts[i])).toEqual([0, 10]);
    expect(pts[picks[2]]).toBeCloseTo(5, 0);
  });

  it('the ORT mat-vec version picks the same points as the loop from the same start', async () => {
    let s = 3;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const n = 500;
    const d = 8;
    const p = Float32Array.from({ length: n * d }, rnd);
    const seed = 11;
    const ort = await greedyCoreset(p, n, d, 40, seed);
    const loop = greedyCoresetSmall(p, n, d, 40, ort[0]);
    expect(Array.from(ort)).toEqual(Array.from(loop));
    expect(new Set(ort).size).toBe(40);
  });
});
