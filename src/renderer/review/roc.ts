/**
 * Image-level ROC and score histogram for the Review screen, from the run's scores and the dataset's labels
 * (positive = any label other than 'good'; 'unlabeled' images are left out). Pure functions so they are unit
 * tested; the main process has its own metrics (src/main/metrics) but the renderer must recompute nothing
 * round-trip when the user only moves a slider.
 */
export interface Scored {
  score: number;
  /** true = defect, false = good, null = unknown. */
  positive: boolean | null;
}

export interface RocCurve {
  /** False/true positive rates from (0,0) to (1,1), one point per distinct score. */
  fpr: number[];
  tpr: number[];
  /** Area under the curve (ties count half); null without both classes. */
  auroc: number | null;
  positives: number;
  negatives: number;
}

export function labelToPositive(label: string): boolean | null {
  if (label === 'unlabeled') return null;
  return label !== 'good';
}

export function rocCurve(items: readonly Scored[]): RocCurve {
  const known = items.filter((i): i is { score: number; positive: boolean } => i.positive !== null && Number.isFinite(i.score));
  const positives = known.filter((i) => i.positive).length;
  const negatives = known.length - positives;
  if (positives === 0 || negatives === 0) return { fpr: [], tpr: [], auroc: null, positives, negatives };
  const sorted = [...known].sort((a, b) => b.score - a.score);
  const fpr = [0];
  const tpr = [0];
  let tp = 0;
  let fp = 0;
  let area = 0;
  for (let i = 0; i < sorted.length; ) {
    // All items with the same score move together (a diagonal step), which is what makes ties count half.
    const s = sorted[i].score;
    let dtp = 0;
    let dfp = 0;
    for (; i < sorted.length && sorted[i].score === s; i++) sorted[i].positive ? dtp++ : dfp++;
    area += (dfp / negatives) * ((tp + dtp / 2) / positives);
    tp += dtp;
    fp += dfp;
    fpr.push(fp / negatives);
    tpr.push(tp / positives);
  }
  return { fpr, tpr, auroc: area, positives, negatives };
}

export interface Histogram {
  min: number;
  max: number;
  /** Per bin: counts of good, defect, unlabeled images. */
  good: number[];
  defect: number[];
  unknown: number[];
}

export function scoreHistogram(items: readonly Scored[], bins: number, range?: { min: number; max: number }): Histogram {
  const finite = items.filter((i) => Number.isFinite(i.score));
  let min = range?.min ?? Infinity;
  let max = range?.max ?? -Infinity;
  if (!range) for (const i of finite) (min = Math.min(min, i.score)), (max = Math.max(max, i.score));
  if (!Number.isFinite(min)) (min = 0), (max = 1);
  if (max <= min) max = min + 1;
  const good = new Array<number>(bins).fill(0);
  const defect = new Array<number>(bins).fill(0);
  const unknown = new Array<number>(bins).fill(0);
  for (const i of finite) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(((i.score - min) / (max - min)) * bins)));
    (i.positive === null ? unknown : i.positive ? defect : good)[b]++;
  }
  return { min, max, good, defect, unknown };
}

/** Verdict counts at a threshold: predicted defect = score ≥ threshold (the same rule as inspect and the model). */
export function verdictCounts(scores: readonly (number | null)[], threshold: number): { defect: number; good: number; failed: number } {
  let defect = 0;
  let good = 0;
  let failed = 0;
  for (const s of scores) {
    if (s === null || !Number.isFinite(s)) failed++;
    else if (s >= threshold) defect++;
    else good++;
  }
  return { defect, good, failed };
}
