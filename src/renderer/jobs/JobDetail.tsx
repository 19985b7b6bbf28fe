/** One job: state, progress bar with ETA, cancel / resume / remove, the loss curves, result metrics and the log. */
import { useEffect, useRef } from 'react';
import type { JobProgressPoint, JobRecord } from '../../shared/contract/jobs.js';
import { LossChart } from './LossChart.js';
import { progressFraction, STATE_CHIP } from './JobList.js';

export interface JobDetailProps {
  job: JobRecord;
  history: JobProgressPoint[];
  log: string[];
  onCancel(): void;
  onResume(): void;
  onRemove(): void;
}

function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** The metrics worth a glance, in this order; everything else is in the full table below them. */
const HEADLINE = ['image_auroc', 'image_ap', 'image_f1', 'pixel_auroc', 'pixel_ap', 'pixel_f1', 'pro'];

export function JobDetail({ job, history, log, onCancel, onResume, onRemove }: JobDetailProps) {
  const p = job.progress;
  const f = progressFraction(job);
  const logRef = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const el = logRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [log.length]);
  const metrics = job.metrics ?? {};
  const headline = HEADLINE.filter((k) => typeof metrics[k] === 'number');
  return (
    <div className="job-detail" data-testid="job-detail" data-id={job.id} data-state={job.state} data-phase={job.phase ?? ''}>
      <div className="toolbar">
        <b>{job.method}</b>
        <span className="dim">on</span>
        <span title={job.datasetRoot}>{job.datasetName}</span>
        <span className={`chip ${STATE_CHIP[job.state]}`} data-testid="job-state">
          {job.state}
          {job.state === 'running' && job.phase ? ` · ${job.phase}` : ''}
        </span>
        <span className="toolbar-spacer" />
        {(job.state === 'running' || job.state === 'queued') && (
          <button className="btn" data-testid="job-cancel" onClick={onCancel} title="Stop the job; its checkpoint is kept so it can resume">
            Cancel
          </button>
        )}
        {job.resumable && (
          <button className="btn primary" data-testid="job-resume" onClick={onResume} title="Continue from the last checkpoint">
            Resume
          </button>
        )}
        {job.state !== 'running' && (
          <button className="btn ghost" data-testid="job-remove" onClick={onRemove} title="Delete the job's record, log and checkpoints (the model folder stays)">
            Remove
          </button>
        )}
      </div>
      <div className="job-body">
        <section className="job-progress" data-testid="job-progress" data-step={p?.step ?? 0} data-total={p?.totalSteps ?? ''} data-stage={p?.stage ?? ''}>
          <div className="progress-track" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={f === null ? undefined : Math.round(f * 100)}>
            <div className={`progress-fill state-${job.state}`} data-testid="job-progress-bar" style={{ width: `${Math.round((f ?? 0) * 100)}%` }} />
          </div>
          <div className="progress-facts">
            <span>
              <span className="dim">stage</span> {p?.stage ?? '—'}
            </span>
            <span className="mono">
              {p ? `${p.step} / ${p.totalSteps ?? '?'}` : '—'}
              {p?.epoch !== null && p?.epoch !== undefined ? ` · epoch ${p.epoch + 1}` : ''}
            </span>
            <span data-testid="job-eta">
              <span className="dim">ETA</span> {job.state === 'running' ? duration(p?.etaSeconds ?? null) : '—'}
            </span>
            <span>
              <span className="dim">img/s</span> {p?.imagesPerSecond ? p.imagesPerSecond.toFixed(1) : '—'}
            </span>
            <span data-testid="job-provider">
              <span className="dim">provider</span> {p?.executionProvider ?? '—'}
            </span>
            <span className="dim">attempt {job.attempts}</span>
          </div>
          {job.error && (
            <div className="error-box" data-testid="job-error" role="alert">
              <span>{job.error}</span>
            </div>
          )}
        </section>
        <section className="job-section">
          <h3 className="section-title">Loss</h3>
          <LossChart history={history} />
        </section>
        {job.metrics && (
          <section className="job-section" data-testid="job-metrics">
            <h3 className="section-title">{job.kind === 'pretrain' ? 'Result' : 'Result on the test split'}</h3>
            <div className="metric-cards">
              {headline.map((k) => (
                <div key={k} className="metric-card" data-testid={`metric-${k}`} data-value={metrics[k] as number}>
                  <span className="dim">{k.replace('_', ' ')}</span>
                  <b className="mono">{(metrics[k] as number).toFixed(3)}</b>
                </div>
              ))}
            </div>
            <p className="dim mono model-path">
              {job.kind === 'pretrain' ? `backbone: ${String(metrics.backbone ?? job.modelDir)}` : `model: ${job.modelDir}`}
            </p>
          </section>
        )}
        <section className="job-section grow">
          <h3 className="section-title">Log</h3>
          <pre className="job-log mono" data-testid="job-log" ref={logRef} tabIndex={0} aria-label="Job log">
            {log.join('\n')}
          </pre>
        </section>
      </div>
    </div>
  );
}
