/** Pure parts of the Jobs screen: which progress points make the loss curve, and how settings typed as text are read. */
import { describe, expect, it } from 'vitest';
import type { JobProgressPoint } from '../../../src/shared/contract/jobs.js';
import { seriesOf } from '../../../src/renderer/jobs/LossChart.js';
import { parseOptionalInt } from '../../../src/renderer/jobs/jobsStore.js';

const point = (step: number, stage: string, losses: Record<string, number>): JobProgressPoint => ({
  step, totalSteps: 10, epoch: null, stage, losses, imagesPerSecond: null, etaSeconds: null, executionProvider: null,
});

describe('Jobs screen model', () => {
  it('the loss curve uses the points that carry losses, with the total loss first', () => {
    const { names, points } = seriesOf([
      point(1, 'load', {}),
      point(1, 'train', { 'loss.b': 2, loss: 3, 'loss.a': 1 }),
      point(2, 'train', { loss: 2.5, 'loss.a': 0.9 }),
      point(2, 'validate', {}),
    ]);
    expect(names).toEqual(['loss', 'loss.a', 'loss.b']);
    expect(points.map((p) => p.step)).toEqual([1, 2]);
  });

  it('empty settings mean the default; anything else must be a whole number in range, with the rule in the message', () => {
    expect(parseOptionalInt('  ', 'Epochs', 1, 100)).toBeUndefined();
    expect(parseOptionalInt(' 12 ', 'Epochs', 1, 100)).toBe(12);
    expect(() => parseOptionalInt('0', 'Epochs', 1, 100)).toThrow('Epochs must be a whole number from 1 to 100');
    expect(() => parseOptionalInt('2.5', 'Seed', 0, 9)).toThrow(/Seed/);
    expect(() => parseOptionalInt('abc', 'Image size', 32, 2048)).toThrow(/Image size/);
  });
});
