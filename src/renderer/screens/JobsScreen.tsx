/**
 * Jobs screen: start a training job (any registered method) on an opened dataset, the job list on the left; the
 * selected job's progress, loss curves, metrics and log on the right; a toast (and, for long jobs where allowed,
 * a system notification) when a job ends.
 */
import { useEffect, useState } from 'react';
import type { StudioClient } from '../../shared/client.js';
import { JobDetail } from '../jobs/JobDetail.js';
import { JobForm } from '../jobs/JobForm.js';
import { JobList } from '../jobs/JobList.js';
import { JobsStore } from '../jobs/jobsStore.js';
import { askNotificationPermission, notificationsAvailable, systemNotify } from '../jobs/notify.js';
import '../jobs/jobs.css';
import { useStoreValue } from '../state/store.js';

export function JobsScreen({ client }: { client: StudioClient }) {
  // The store lives as long as the screen; jobs, logs and curves are re-read from the workspace when it opens.
  const [store] = useState(() => new JobsStore(client, systemNotify));
  const s = useStoreValue(store, (v) => v);
  const [permission, setPermission] = useState(() => (notificationsAvailable() ? Notification.permission : 'unavailable'));
  useEffect(() => {
    void store.init();
    return () => store.dispose();
  }, [store]);
  const job = s.jobs.find((j) => j.id === s.selectedId) ?? null;
  const pretrained = s.jobs.flatMap((j) =>
    j.kind === 'pretrain' && j.state === 'done' && typeof j.metrics?.backbone === 'string' ? [{ path: j.metrics.backbone, label: `CoRe ${j.datasetName} (${j.id})` }] : [],
  );

  return (
    <div className="jobs-screen" data-testid="screen-jobs">
      <aside className="side-panel">
        <section className="panel-section">
          <h3 className="section-title">New job</h3>
          {s.loaded ? (
            <JobForm form={s.form} methods={s.methods} datasets={s.datasets} baseModels={s.baseModels} pretrained={pretrained} starting={s.starting} onChange={(p) => store.setForm(p)} onStart={() => void store.start()} />
          ) : (
            <p className="empty-note">Loading…</p>
          )}
          {s.error && (
            <div className="error-box" data-testid="jobs-error" role="alert">
              <span>{s.error}</span>
              <button className="btn small ghost" onClick={() => store.dismissError()} aria-label="Dismiss">
                ✕
              </button>
            </div>
          )}
          {permission === 'default' && (
            <button className="btn small ghost" data-testid="notify-enable" onClick={() => void askNotificationPermission().then(setPermission)}>
              Notify me when long jobs finish
            </button>
          )}
        </section>
        <section className="panel-section grow">
          <h3 className="section-title">Jobs</h3>
          <JobList jobs={s.jobs} selectedId={s.selectedId} onSelect={(id) => void store.select(id)} />
        </section>
      </aside>
      <div className="content">
        {job ? (
          <JobDetail
            job={job}
            history={s.history}
            log={s.log}
            onCancel={() => void store.cancel(job.id)}
            onResume={() => void store.resume(job.id)}
            onRemove={() => void store.remove(job.id)}
          />
        ) : (
          <div className="empty-state" data-testid="job-empty">
            Start a job on the left: it trains in its own process, and its progress, loss curves and log appear here.
          </div>
        )}
      </div>
      {s.notices.length > 0 && (
        <div className="toasts" role="status" aria-live="polite">
          {s.notices.map((n) => (
            <div key={n.id} className={`toast${n.ok ? '' : ' failed'}`} data-testid="toast" data-job-id={n.jobId}>
              <span>{n.text}</span>
              <button className="btn small ghost" onClick={() => store.dismissNotice(n.id)} aria-label="Dismiss">
                ✕
              </button>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
