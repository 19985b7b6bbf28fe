/** The workspace's jobs, newest first, with state and progress at a glance. */
import type { JobRecord } from '../../shared/contract/jobs.js';

export const STATE_CHIP: Record<JobRecord['state'], string> = {
  queued: 'chip-neutral',
  running: 'chip-running',
  done: 'chip-good',
  failed: 'chip-defect',
  cancelled: 'chip-neutral',
  interrupted: 'chip-warn',
};

export function progressFraction(job: JobRecord): number | null {
  const p = job.progress;
  if (job.state === 'done') return 1;
  return p && p.totalSteps ? Math.min(1, p.step / p.totalSteps) : null;
}

export function JobList({ jobs, selectedId, onSelect }: { jobs: JobRecord[]; selectedId: string | null; onSelect(id: string): void }) {
  if (!jobs.length) return <p className="empty-note" data-testid="job-list-empty">No jobs yet.</p>;
  return (
    <ul className="job-list" data-testid="job-list">
      {jobs.map((j) => {
        const f = progressFraction(j);
        return (
          <li key={j.id} className={`job-item${j.id === selectedId ? ' active' : ''}`} data-testid="job-item" data-id={j.id} data-state={j.state}>
            <button className="job-select" onClick={() => onSelect(j.id)} aria-current={j.id === selectedId ? 'true' : undefined}>
              <span className="job-line">
                <b>{j.method}</b>
                <span className="dim">{j.datasetName}</span>
                <span className={`chip ${STATE_CHIP[j.state]}`}>{j.state}</span>
              </span>
              <span className="job-mini-bar">
                <span style={{ width: `${Math.round((f ?? 0) * 100)}%` }} />
              </span>
              <span className="mono dim job-id">{j.id}</span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
