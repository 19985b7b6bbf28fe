import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { binaryMetrics } from '../../../src/main/metrics/index.js';

describe('binaryMetrics', () => {
  it('matches hand-computed AUROC, AP and best F1', () => {
    // Ranked: 0.8(P) 0.4(N) 0.35(P) 0.1(N). AUROC: pos 0.8 beats 2 neg, 0.35 beats 1 -> 3/4.
    // AP: R 0.5 at P 1, then R 1 at P 2/3 -> 0.5 + 0.5 * 2/3. Best F1 at t = 0.35: P 2/3, R 1 -> 0.8.
    const m = binaryMetrics([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
    expect(m.auroc).toBeCloseTo(0.75, 12);
    expect(m.ap).toBeCloseTo(0.5 + 1 / 3, 12);
    expect(m.f1).toBeCloseTo(0.8, 12);
    expect(m.threshold).toBe(0.35);
  });

  it('counts ties as half', () => {
    expect(binaryMetrics([0.5, 0.5], [0, 1]).auroc).toBe(0.5);
    // pos {2, 1}, neg {1, 0}: (1 + 1 + 0.5 + 1) / 4
    expect(binaryMetrics([2, 1, 1, 0], [1, 1, 0, 0]).auroc).toBeCloseTo(3.5 / 4, 12);
  });

  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(binaryMetrics([3, 4, 1, 2], [1, 1, 0, 0]).auroc).toBe(1);
    expect(binaryMetrics([3, 4, 1, 2], [0, 0, 1, 1]).auroc).toBe(0);
  });

  it('refuses one-class input and NaN scores with a sentence', () => {
    expect(() => binaryMetrics([1, 2], [0, 0])).toThrow(/both defective and good/);
    expect(() => binaryMetrics([1, NaN], [0, 1])).toThrow(/NaN/);
    expect(() => binaryMetrics([1, 2, 3], [0, 1])).toThrow(/3 scores but 2 labels/);
  });

  it('matches scikit-learn on the committed fixture (ties included)', () => {
    const fx = JSON.parse(readFileSync(new URL('../../fixtures/metrics/sklearn_binary.json', import.meta.url), 'utf8')) as {
      cases: { scores: number[]; labels: number[]; auroc: number; ap: number; f1: number; threshold: number }[];
    };
    expect(fx.cases.length).toBeGreaterThan(0);
    for (const c of fx.cases) {
      const m = binaryMetrics(c.scores, c.labels);
      expect(m.auroc).toBeCloseTo(c.auroc, 10);
      expect(m.ap).toBeCloseTo(c.ap, 10);
      expect(m.f1).toBeCloseTo(c.f1, 10);
      expect(m.threshold).toBeCloseTo(c.threshold, 10);
    }
  });
});
