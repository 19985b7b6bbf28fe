import { describe, expect, it } from 'vitest';
import { binaryMetrics } from '../../../src/main/metrics/index.js';
import { mulberry32 } from '../../../src/main/models/random.js';
import { labelToPositive, rocCurve, scoreHistogram, verdictCounts } from '../../../src/renderer/review/roc.js';

describe('renderer ROC / histogram / verdicts', () => {
  it('AUROC matches the main-process metrics on random scores with ties', () => {
    const rand = mulberry32(7);
    for (let trial = 0; trial < 5; trial++) {
      const items = Array.from({ length: 200 }, () => {
        const positive = rand() < 0.3;
        // Rounded scores make ties, which must count half in both implementations.
        return { score: Math.round((rand() + (positive ? 0.4 : 0)) * 20) / 20, positive };
      });
      const ref = binaryMetrics(
        items.map((i) => i.score),
        items.map((i) => i.positive),
      );
      const roc = rocCurve(items);
      expect(roc.auroc).toBeCloseTo(ref.auroc, 10);
      expect(roc.fpr[0]).toBe(0);
      expect(roc.tpr.at(-1)).toBe(1);
      expect(roc.fpr.at(-1)).toBe(1);
    }
  });

  it('perfect separation is 1, reversed is 0, one class only is null; unlabeled images are left out', () => {
    expect(rocCurve([{ score: 2, positive: true }, { score: 1, positive: false }]).auroc).toBe(1);
    expect(rocCurve([{ score: 1, positive: true }, { score: 2, positive: false }]).auroc).toBe(0);
    expect(rocCurve([{ score: 1, positive: true }, { score: 2, positive: null }]).auroc).toBeNull();
    expect(labelToPositive('good')).toBe(false);
    expect(labelToPositive('crack')).toBe(true);
    expect(labelToPositive('unlabeled')).toBeNull();
  });

  it('histogram puts every score in one bin of its class; verdict counts follow score >= threshold', () => {
    const items = [
      { score: 0, positive: false },
      { score: 0.5, positive: false },
      { score: 1, positive: true },
      { score: 0.99, positive: null },
    ];
    const h = scoreHistogram(items, 4);
    expect([h.min, h.max]).toEqual([0, 1]);
    expect(h.good).toEqual([1, 0, 1, 0]);
    expect(h.defect).toEqual([0, 0, 0, 1]);
    expect(h.unknown).toEqual([0, 0, 0, 1]);
    expect(verdictCounts([0, 0.5, 1, null], 0.5)).toEqual({ defect: 2, good: 1, failed: 1 });
    expect(verdictCounts([0, 0.5, 1, null], 0.51)).toEqual({ defect: 1, good: 2, failed: 1 });
  });
});
