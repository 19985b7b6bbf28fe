/**
 * The Jobs screen's model, outside React: the methods a job can run, the opened datasets, the job list, the
 * selected job's loss history and log, the new-job form, and finished-job notices. Fed by the jobs calls and
 * kept live by the job.state / job.progress / job.log events.
 */
import type { CallOutput } from '../../shared/api.js';
import type { StudioClient } from '../../shared/client.js';
import type { JobProgressPoint, JobRecord } from '../../shared/contract/jobs.js';
import type { DatasetSummary } from '../../shared/dataset.js';
import { Store } from '../state/store.js';

export type MethodInfo = CallOutput<'jobs.methods'>[number];

export interface JobForm {
  method: string;
  datasetId: string;
  /** Text fields: empty = the method's default. */
  epochs: string;
  imageSize: string;
  backbone: string;
  seed: string;
  evaluate: boolean;
  /** Supervised methods: the model folder they build on, and labelled images per class (empty = default). */
  baseModel: string;
  shots: string;
}

/** A trained model a supervised job can build on. */
export interface BaseModelOption {
  dir: string;
  label: string;
}

export interface FinishedNotice {
  id: string;
  jobId: string;
  text: string;
  ok: boolean;
}

export interface JobsState {
  loaded: boolean;
  methods: MethodInfo[];
  datasets: Pick<DatasetSummary, 'id' | 'name' | 'root'>[];
  baseModels: BaseModelOption[];
  jobs: JobRecord[];
  selectedId: string | null;
  /** Loss history and log of the selected job. */
  history: JobProgressPoint[];
  log: string[];
  form: JobForm;
  starting: boolean;
  error: string | null;
  notices: FinishedNotice[];
}

const LOG_KEEP = 400;
const HISTORY_KEEP = 5000;
/** A job that ran at least this long raises a system notification (when permitted) as it ends. */
export const LONG_JOB_SECONDS = 30;

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function parseOptionalInt(text: string, name: string, min: number, max: number): number | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const n = Number(t);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max} (or empty for the default).`);
  return n;
}

export class JobsStore extends Store<JobsState> {
  private readonly unsubscribe: Array<() => void> = [];
  /** Jobs seen running in this session: only their ends raise a notice. */
  private readonly watched = new Set<string>();

  constructor(
    private readonly client: StudioClient,
    private readonly notify: (n: FinishedNotice, long: boolean) => void = () => undefined,
  ) {
    super({
      loaded: false,
      methods: [],
      datasets: [],
      baseModels: [],
      jobs: [],
      selectedId: null,
      history: [],
      log: [],
      form: { method: '', datasetId: '', epochs: '', imageSize: '', backbone: '', seed: '0', evaluate: true, baseModel: '', shots: '' },
      starting: false,
      error: null,
      notices: [],
    });
    this.unsubscribe.push(
      client.on('job.state', (job) => this.onState(job)),
      client.on('job.progress', (p) => {
        const { jobId, ...rest } = p;
        const point: JobProgressPoint = { ...rest, stage: rest.stage ?? null };
        this.patchJob(jobId, { progress: point });
        if (jobId === this.get().selectedId) this.patch({ history: [...this.get().history, point].slice(-HISTORY_KEEP) });
      }),
      client.on('job.log', (l) => {
        if (l.jobId === this.get().selectedId) this.patch({ log: [...this.get().log, `${l.time} ${l.level.padEnd(5)} ${l.message}`].slice(-LOG_KEEP) });
      }),
    );
  }

  dispose(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  private patch(p: Partial<JobsState>): void {
    this.set({ ...this.get(), ...p });
  }

  private patchJob(id: string, p: Partial<JobRecord>): void {
    const jobs = this.get().jobs;
    const i = jobs.findIndex((j) => j.id === id);
    if (i < 0) return;
    const next = jobs.slice();
    next[i] = { ...jobs[i], ...p };
    this.patch({ jobs: next });
  }

  private onState(job: JobRecord): void {
    const s = this.get();
    const known = s.jobs.some((j) => j.id === job.id);
    this.patch({ jobs: known ? s.jobs.map((j) => (j.id === job.id ? job : j)) : [job, ...s.jobs] });
    if (job.state === 'running' || job.state === 'queued') this.watched.add(job.id);
    // A cancel is the user's own doing: no notice for it.
    else if (this.watched.delete(job.id) && job.state !== 'cancelled') {
      const seconds = job.startedAt && job.endedAt ? (Date.parse(job.endedAt) - Date.parse(job.startedAt)) / 1000 : 0;
      const ok = job.state === 'done';
      const notice: FinishedNotice = {
        id: `${job.id}:${job.endedAt}`,
        jobId: job.id,
        ok,
        text: `${job.method} on ${job.datasetName}: ${job.state}${ok && typeof job.metrics?.image_auroc === 'number' ? ` (image AUROC ${job.metrics.image_auroc.toFixed(3)})` : ''}${job.error ? ` (${job.error})` : ''}`,
      };
      this.patch({ notices: [...this.get().notices, notice].slice(-5) });
      this.notify(notice, seconds >= LONG_JOB_SECONDS);
    }
  }

  async init(): Promise<void> {
    try {
      const [methods, datasets, jobs, models] = await Promise.all([
        this.client.invoke('jobs.methods', {}),
        this.client.invoke('datasets.list', {}),
        this.client.invoke('jobs.list', {}),
        // Only supervised methods need it; an unreadable models folder must not stop the screen.
        this.client.invoke('models.list', {}).catch(() => ({ dir: '', models: [] })),
      ]);
      const baseModels = models.models.flatMap((m) => (m.status === 'ok' && m.method !== 'fewshot' ? [{ dir: m.dir, label: `${m.id} (${m.method})` }] : []));
      for (const j of jobs) if (j.state === 'running' || j.state === 'queued') this.watched.add(j.id);
      const form = this.get().form;
      this.patch({
        loaded: true,
        methods,
        datasets: datasets.map(({ id, name, root }) => ({ id, name, root })),
        jobs,
        baseModels,
        form: {
          ...form,
          baseModel: baseModels.some((b) => b.dir === form.baseModel) ? form.baseModel : (baseModels[0]?.dir ?? ''),
          method: form.method || methods[0]?.name || '',
          datasetId: datasets.some((d) => d.id === form.datasetId) ? form.datasetId : (datasets[0]?.id ?? ''),
        },
      });
      const sel = this.get().selectedId ?? jobs[0]?.id ?? null;
      if (sel) await this.select(sel);
    } catch (e) {
      this.patch({ loaded: true, error: message(e) });
    }
  }

  setForm(p: Partial<JobForm>): void {
    this.patch({ form: { ...this.get().form, ...p } });
  }

  async select(id: string): Promise<void> {
    this.patch({ selectedId: id, history: [], log: [] });
    try {
      const d = await this.client.invoke('jobs.get', { id, logLines: LOG_KEEP });
      if (this.get().selectedId !== id) return;
      this.patchJob(id, d.job);
      // Lines and points that arrived by event while the call ran may be missing from its answer (written to
      // disk later): keep those the answer does not end with.
      const s = this.get();
      const lateLog = s.log.filter((l) => !d.log.includes(l));
      const lastStep = d.history.at(-1)?.step ?? -1;
      const lateHistory = s.history.filter((p) => p.step > lastStep);
      this.patch({ history: [...d.history, ...lateHistory], log: [...d.log, ...lateLog].slice(-LOG_KEEP) });
    } catch (e) {
      this.patch({ error: message(e) });
    }
  }

  async start(): Promise<void> {
    const f = this.get().form;
    let settings;
    try {
      if (!f.method) throw new Error('Choose a method.');
      if (!f.datasetId) throw new Error('Open a dataset on the Datasets screen first, then choose it here.');
      const supervised = this.get().methods.find((m) => m.name === f.method)?.learningType === 'supervised';
      if (supervised && !f.baseModel) throw new Error(`${f.method} builds on a trained unsupervised model: train one (e.g. patchcore) first, then choose it as the base model.`);
      settings = {
        epochs: parseOptionalInt(f.epochs, 'Epochs', 1, 10_000),
        imageSize: parseOptionalInt(f.imageSize, 'Image size', 32, 2048),
        backbone: f.backbone || undefined,
        seed: parseOptionalInt(f.seed, 'Seed', 0, 2 ** 31 - 1) ?? 0,
        evaluate: f.evaluate,
        ...(supervised ? { baseModel: f.baseModel, shots: parseOptionalInt(f.shots, 'Shots', 1, 1000) } : {}),
      };
    } catch (e) {
      this.patch({ error: message(e) });
      return;
    }
    this.patch({ starting: true, error: null });
    try {
      const job = await this.client.invoke('jobs.start', { method: f.method, datasetId: f.datasetId, settings });
      this.onState(job);
      await this.select(job.id);
    } catch (e) {
      this.patch({ error: message(e) });
    } finally {
      this.patch({ starting: false });
    }
  }

  async cancel(id: string): Promise<void> {
    await this.act(() => this.client.invoke('jobs.cancel', { id }));
  }

  async resume(id: string): Promise<void> {
    // The curve continues from the checkpoint: keep the history shown so far.
    await this.act(() => this.client.invoke('jobs.resume', { id }));
  }

  async remove(id: string): Promise<void> {
    await this.act(async () => {
      await this.client.invoke('jobs.remove', { id });
      const jobs = this.get().jobs.filter((j) => j.id !== id);
      this.patch({ jobs, selectedId: null, history: [], log: [] });
      if (jobs[0]) await this.select(jobs[0].id);
      return null;
    });
  }

  dismissNotice(id: string): void {
    this.patch({ notices: this.get().notices.filter((n) => n.id !== id) });
  }

  dismissError(): void {
    this.patch({ error: null });
  }

  private async act(fn: () => Promise<JobRecord | null>): Promise<void> {
    this.patch({ error: null });
    try {
      const job = await fn();
      if (job) this.onState(job);
    } catch (e) {
      this.patch({ error: message(e) });
    }
  }
}
