/**
 * The stored decision threshold. With labelled defects among the validation images: the F1-optimal threshold on
 * them. Otherwise a high quantile (99%) of good validation scores: a few percent false alarms on good parts is
 * the usual starting point an inspector then tunes in the Review screen.
 */
import { binaryMetrics } from '../metrics/index.js';
import { quantile } from './modelFolder.js';

export const GOOD_QUANTILE = 0.99;

export function chooseThreshold(val: { label: string; score: number }[]): { threshold: number; source: 'f1-validation' | 'quantile-good' } {
  const good = val.filter((v) => v.label === 'good').map((v) => v.score);
  const bad = val.filter((v) => v.label !== 'good' && v.label !== 'unlabeled');
  if (good.length && bad.length) {
    const m = binaryMetrics(val.filter((v) => v.label !== 'unlabeled').map((v) => v.score), val.filter((v) => v.label !== 'unlabeled').map((v) => v.label !== 'good'));
    return { threshold: m.threshold, source: 'f1-validation' };
  }
  return { threshold: quantile(good.sort((a, b) => a - b), GOOD_QUANTILE), source: 'quantile-good' };
}
