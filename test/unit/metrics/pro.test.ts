import { describe, expect, it } from 'vitest';
import { connectedComponents, MetricsCollector, proAuc } from '../../../src/main/metrics/index.js';

/** Naive PRO: evaluate every distinct threshold explicitly, then integrate; independent of the running-sum walk. */
function naivePro(maps: number[][], masks: number[][], widths: number[], maxFpr: number): number {
  const regions: { img: number; pixels: number[] }[] = [];
  maps.forEach((_, k) => {
    const cc = connectedComponents(masks[k], widths[k], masks[k].length / widths[k]);
    for (let r = 1; r <= cc.count; r++) regions.push({ img: k, pixels: [...cc.labels.keys()].filter((i) => cc.labels[i] === r) });
  });
  const negs: number[] = [];
  maps.forEach((m, k) => m.forEach((v, i) => { if (!masks[k][i]) negs.push(v); }));
  const ts = [...new Set(maps.flat())].sort((a, b) => b - a);
  const pts: [number, number][] = [[0, 0]];
  for (const t of ts) {
    const fpr = negs.filter((v) => v >= t).length / negs.length;
    const pro = regions.reduce((s, r) => s + r.pixels.filter((i) => maps[r.img][i] >= t).length / r.pixels.length, 0) / regions.length;
    pts.push([fpr, pro]);
  }
  let area = 0;
  for (let i = 1; i < pts.length; i++) {
    const [x0, y0] = pts[i - 1];
    const [x1, y1] = pts[i];
    if (x1 >= maxFpr) {
      const y = x1 === x0 ? y0 : y0 + ((maxFpr - x0) / (x1 - x0)) * (y1 - y0);
      return (area + ((maxFpr - x0) * (y0 + y)) / 2) / maxFpr;
    }
    area += ((x1 - x0) * (y0 + y1)) / 2;
  }
  return area / maxFpr;
}

describe('connectedComponents', () => {
  it('joins diagonal neighbours (8-connectivity) and merges a U shape into one region', () => {
    // 1 0 1
    // 1 0 1
    // 1 1 1   -> one U-shaped region; plus a diagonal pair elsewhere
    const u = connectedComponents([1, 0, 1, 1, 0, 1, 1, 1, 1], 3, 3);
    expect(u.count).toBe(1);
    expect(u.sizes[1]).toBe(7);
    const d = connectedComponents([1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1], 4, 3);
    // (0,0)-(1,1) diagonal -> one region; (3,2) alone
    expect(d.count).toBe(2);
  });
});

describe('PRO', () => {
  it('matches a hand-computed curve', () => {
    // One row: region A = pixels 0-1 (scores 0.9, 0.2), region B = pixel 9 (0.8), 7 good pixels (0.7, six x 0.1).
    // t=0.9: PRO 0.25; t=0.8: 0.75 at FPR 0; t=0.7: FPR 1/7; t=0.2: PRO 1; t=0.1: FPR 1 -> cut at 0.3.
    // area = 0.75/7 + (0.3 - 1/7) * 1 = 0.3 - 0.25/7
    const c = new MetricsCollector();
    const map = Float32Array.from([0.9, 0.2, 0.7, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.8].map(Math.fround));
    c.add(1, true, { map, mask: [1, 1, 0, 0, 0, 0, 0, 0, 0, 1], width: 10, height: 1 });
    c.add(0, false);
    const m = c.compute();
    expect(m.pro).toBeCloseTo((0.3 - 0.25 / 7) / 0.3, 6);
  });

  it('agrees with a naive per-threshold evaluation on random maps', () => {
    let s = 7;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const maps: number[][] = [];
    const masks: number[][] = [];
    const widths: number[] = [];
    const c = new MetricsCollector();
    for (let k = 0; k < 4; k++) {
      const w = 12;
      const h = 9;
      const mask = Array.from({ length: w * h }, (_, i) => (k % 2 === 0 && ((i % w) - 4) ** 2 + (Math.floor(i / w) - 4) ** 2 < 5 + k) || (k === 2 && i % w === 10) ? 1 : 0);
      const map = mask.map((m) => Math.fround(Math.round((rnd() + 0.6 * m) * 20) / 20)); // rounded: ties
      maps.push(map);
      masks.push(mask);
      widths.push(w);
      c.add(Math.max(...map), mask.some(Boolean), { map: Float32Array.from(map), mask, width: w, height: h });
    }
    for (const maxFpr of [0.3, 1]) {
      expect(c.compute(maxFpr).pro).toBeCloseTo(naivePro(maps, masks, widths, maxFpr), 6);
    }
  });

  it('gives 1 for a map that ranks every defect pixel above every good pixel', () => {
    const r = proAuc({ posScores: Float32Array.from([5, 6]), posWeights: Float32Array.from([1, 1]), regions: 2, negScores: Float32Array.from([1, 2, 3]) });
    expect(r).toBeCloseTo(1, 12);
  });
});
