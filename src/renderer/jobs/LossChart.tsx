/**
 * The live loss curves of a job: one polyline per loss term (the `loss` total first), over the training step.
 * Plain SVG: a few hundred points redraw in well under a frame, and it scales with the panel.
 */
import type { JobProgressPoint } from '../../shared/contract/jobs.js';

const COLORS = ['#4c9aff', '#3ecf8e', '#e5b454', '#ff6b6b', '#b48cff', '#4fd1c5', '#f687b3', '#a0aec0'];
const W = 640;
const H = 200;
const PAD = { left: 44, right: 10, top: 10, bottom: 22 };

export function seriesOf(history: readonly JobProgressPoint[]): { names: string[]; points: JobProgressPoint[] } {
  const points = history.filter((p) => Object.keys(p.losses).length > 0);
  const names = [...new Set(points.flatMap((p) => Object.keys(p.losses)))].sort((a, b) => (a === 'loss' ? -1 : b === 'loss' ? 1 : a.localeCompare(b)));
  return { names, points };
}

const fmt = (v: number) => (Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2));

export function LossChart({ history }: { history: readonly JobProgressPoint[] }) {
  const { names, points } = seriesOf(history);
  if (!points.length) {
    return (
      <div className="loss-chart empty" data-testid="loss-chart" data-points={0}>
        No loss values yet (methods without a training loop, such as PatchCore, report stages only).
      </div>
    );
  }
  const steps = points.map((p) => p.step);
  const x0 = Math.min(...steps);
  const x1 = Math.max(x0 + 1, ...steps);
  const values = points.flatMap((p) => Object.values(p.losses));
  let y0 = Math.min(0, ...values);
  let y1 = Math.max(...values);
  if (y1 <= y0) y1 = y0 + 1;
  const pad = (y1 - y0) * 0.05;
  y1 += pad;
  if (y0 < 0) y0 -= pad;
  const sx = (s: number) => PAD.left + ((s - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const sy = (v: number) => H - PAD.bottom - ((v - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => y0 + t * (y1 - y0));
  const last = points[points.length - 1];
  return (
    <div className="loss-chart" data-testid="loss-chart" data-points={points.length} data-last-step={last.step}>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={`Loss curves up to step ${last.step}`}>
        {ticks.map((t) => (
          <g key={t}>
            <line className="grid-line" x1={PAD.left} x2={W - PAD.right} y1={sy(t)} y2={sy(t)} />
            <text className="axis-label" x={PAD.left - 4} y={sy(t) + 3} textAnchor="end">
              {fmt(t)}
            </text>
          </g>
        ))}
        <text className="axis-label" x={PAD.left} y={H - 6}>
          step {x0}
        </text>
        <text className="axis-label" x={W - PAD.right} y={H - 6} textAnchor="end">
          {x1}
        </text>
        {names.map((name, i) => {
          const pts = points.filter((p) => p.losses[name] !== undefined).map((p) => `${sx(p.step).toFixed(1)},${sy(p.losses[name]).toFixed(1)}`);
          return <polyline key={name} className="series" points={pts.join(' ')} stroke={COLORS[i % COLORS.length]} strokeWidth={name === 'loss' ? 2 : 1.2} fill="none" vectorEffect="non-scaling-stroke" />;
        })}
      </svg>
      <ul className="legend">
        {names.map((name, i) => (
          <li key={name} data-testid="loss-legend" data-name={name}>
            <span className="swatch" style={{ background: COLORS[i % COLORS.length] }} />
            {name} <span className="mono dim">{last.losses[name] === undefined ? '' : fmt(last.losses[name])}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
