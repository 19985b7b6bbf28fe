/**
 * Threshold-free binary metrics from one walk down the ranked scores.
 *
 * Vocabulary: `pos` are the scores of defective samples (images or pixels), `neg` those of good ones. A threshold t
 * predicts "defect" for score >= t. Walking the distinct scores from high to low gives the ROC and PR curves point by
 * point; AUROC (trapezoid, ties count half, as scikit-learn's roc_auc_score), AP (step sum Σ (R_n − R_{n−1}) P_n, as
 * scikit-learn's average_precision_score) and the best F1 are accumulated on the way, so millions of pixels never
 * need a stored curve. Sorting the two classes separately lets the engine's native typed-array sort do the work.
 */
import { StudioError } from '../../shared/errors.js';

export interface BinaryMetrics {
  auroc: number;
  ap: number;
  /** Best F1 over all thresholds, the threshold that reaches it (predict defect for score >= threshold), and its P/R. */
  f1: number;
  threshold: number;
  precision: number;
  recall: number;
  nPos: number;
  nNeg: number;
}

/** Float32 input stays Float32 (pixel scores: half the memory); anything else becomes Float64. */
function sortedCopy(a: ArrayLike<number>, what: string): Float32Array | Float64Array {
  const s = a instanceof Float32Array ? a.slice() : Float64Array.from(a);
  for (let i = 0; i < s.length; i++) {
    if (Number.isNaN(s[i])) throw new StudioError('BAD_REQUEST', `The ${what} scores contain NaN at index ${i}; metrics need finite scores.`);
  }
  return s.sort();
}

/** Splits scores by a 0/1 (or boolean) label array. */
export function splitByLabel(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): { pos: Float64Array; neg: Float64Array } {
  if (scores.length !== labels.length) {
    throw new StudioError('BAD_REQUEST', `Metrics got ${scores.length} scores but ${labels.length} labels; they must match one to one.`);
  }
  let nPos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) nPos++;
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(labels.length - nPos);
  let p = 0;
  let n = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]) pos[p++] = scores[i];
    else neg[n++] = scores[i];
  }
  return { pos, neg };
}

/**
 * All metrics from separated scores. Throws when one class is empty: AUROC is undefined then, and silently
 * returning 0.5 or NaN would hide a data problem (e.g. a test split without defects).
 */
export function binaryMetricsFromSplit(posIn: ArrayLike<number>, negIn: ArrayLike<number>, opts: { negSorted?: boolean } = {}): BinaryMetrics {
  if (posIn.length === 0 || negIn.length === 0) {
    throw new StudioError(
      'INVALID_STATE',
      `Metrics need both defective and good samples, got ${posIn.length} defective and ${negIn.length} good.`,
    );
  }
  const pos = sortedCopy(posIn, 'defective');
  // A caller holding millions of good pixels may pass them already sorted ascending (no copy, no second sort).
  const neg = opts.negSorted ? (negIn as Float32Array | Float64Array) : sortedCopy(negIn, 'good');
  const nPos = pos.length;
  const nNeg = neg.length;
  let i = nPos - 1;
  let j = nNeg - 1;
  let tp = 0;
  let fp = 0;
  let area = 0; // Σ over ROC steps of (Δfp) * (tp_prev + tp) / 2, in counts
  let ap = 0;
  let best = { f1: -1, threshold: Infinity, precision: 0, recall: 0 };
  while (i >= 0 || j >= 0) {
    const t = i < 0 ? neg[j] : j < 0 ? pos[i] : Math.max(pos[i], neg[j]);
    const tp0 = tp;
    const fp0 = fp;
    while (i >= 0 && pos[i] === t) { tp++; i--; }
    while (j >= 0 && neg[j] === t) { fp++; j--; }
    area += ((fp - fp0) * (tp0 + tp)) / 2;
    const precision = tp / (tp + fp);
    const recall = tp / nPos;
    ap += ((tp - tp0) / nPos) * precision;
    const f1 = tp === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    if (f1 > best.f1) best = { f1, threshold: t, precision, recall };
  }
  return { auroc: area / (nPos * nNeg), ap, ...best, nPos, nNeg };
}

export function binaryMetrics(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): BinaryMetrics {
  const { pos, neg } = splitByLabel(scores, labels);
  return binaryMetricsFromSplit(pos, neg);
}
