/**
 * Score histogram (good vs defect vs unlabeled, with the threshold line) and ROC curve with its AUROC, as small
 * SVGs. Both derive from the sorted results with memoised pure functions (./roc.ts); only the threshold line
 * and the ROC operating point move with the slider.
 */
import { memo, useMemo } from 'react';
import type { ReviewResult } from '../../shared/contract/review.js';
import { labelToPositive, rocCurve, scoreHistogram, type Scored } from './roc.js';

const W = 260;
const H = 96;
const BINS = 30;

/** The label the reviewer settled on (a relabel decision wins over the dataset's label). */
export function effectiveLabel(r: ReviewResult): string {
  return r.decision?.kind === 'relabel' && r.decision.label ? r.decision.label : r.label;
}

export function scoredItems(results: readonly ReviewResult[]): Scored[] {
  return results.filter((r) => r.score !== null).map((r) => ({ score: r.score as number, positive: labelToPositive(effectiveLabel(r)) }));
}

function ScoreHistogramView({ items, threshold, range }: { items: Scored[]; threshold: number; range: { min: number; max: number } }) {
  const h = useMemo(() => scoreHistogram(items, BINS, range), [items, range]);
  const peak = Math.max(1, ...h.good.map((g, i) => g + h.defect[i] + h.unknown[i]));
  const bw = W / BINS;
  const x = (v: number) => ((v - h.min) / (h.max - h.min)) * W;
  const tx = Math.min(W, Math.max(0, x(threshold)));
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H + 14}`} data-testid="review-histogram" data-threshold-x={tx.toFixed(1)} role="img" aria-label="Score histogram of good and defect images with the threshold">
      {h.good.map((g, i) => {
        const d = h.defect[i];
        const u = h.unknown[i];
        const yG = H - (g / peak) * H;
        const yD = yG - (d / peak) * H;
        const yU = yD - (u / peak) * H;
        return (
          <g key={i}>
            {g > 0 && <rect className="bar-good" x={i * bw + 0.5} y={yG} width={bw - 1} height={H - yG} />}
            {d > 0 && <rect className="bar-defect" x={i * bw + 0.5} y={yD} width={bw - 1} height={yG - yD} />}
            {u > 0 && <rect className="bar-unknown" x={i * bw + 0.5} y={yU} width={bw - 1} height={yD - yU} />}
          </g>
        );
      })}
      <line className="axis" x1={0} x2={W} y1={H} y2={H} />
      <line className="threshold-line" data-testid="histogram-threshold" x1={tx} x2={tx} y1={0} y2={H} />
      <text className="chart-label" x={0} y={H + 11}>
        {h.min.toPrecision(3)}
      </text>
      <text className="chart-label" x={W} y={H + 11} textAnchor="end">
        {h.max.toPrecision(3)}
      </text>
    </svg>
  );
}

function RocChartView({ items, threshold }: { items: Scored[]; threshold: number }) {
  const roc = useMemo(() => rocCurve(items), [items]);
  const S = 140;
  if (roc.auroc === null) {
    return (
      <p className="empty-note" data-testid="review-roc-empty">
        ROC needs both good and defect labels ({roc.negatives} good, {roc.positives} defect).
      </p>
    );
  }
  // Operating point of the current threshold.
  let tp = 0;
  let fp = 0;
  for (const i of items) if (i.positive !== null && i.score >= threshold) i.positive ? tp++ : fp++;
  const ox = (fp / roc.negatives) * S;
  const oy = S - (tp / roc.positives) * S;
  const pts = roc.fpr.map((f, i) => `${(f * S).toFixed(1)},${(S - roc.tpr[i] * S).toFixed(1)}`).join(' ');
  return (
    <div className="roc" data-testid="review-roc" data-auroc={roc.auroc.toFixed(4)}>
      <svg className="chart" viewBox={`-1 -1 ${S + 2} ${S + 2}`} width={S} height={S} role="img" aria-label={`ROC curve, AUROC ${roc.auroc.toFixed(3)}`}>
        <rect className="roc-frame" x={0} y={0} width={S} height={S} />
        <line className="roc-chance" x1={0} y1={S} x2={S} y2={0} />
        <polyline className="roc-curve" points={pts} />
        <circle className="roc-point" cx={ox} cy={oy} r={3.5} />
      </svg>
      <div className="roc-legend">
        <div>
          AUROC <b className="mono" data-testid="review-auroc">{roc.auroc.toFixed(3)}</b>
        </div>
        <div className="dim">
          TPR {(tp / roc.positives).toFixed(2)} · FPR {(fp / roc.negatives).toFixed(2)}
        </div>
        <div className="dim">
          {roc.positives} defect · {roc.negatives} good
        </div>
      </div>
    </div>
  );
}

// Memoised: selecting an image re-renders the screen but changes neither chart's inputs.
export const ScoreHistogram = memo(ScoreHistogramView);
export const RocChart = memo(RocChartView);
