/**
 * Jobs contract: training / pretraining / fine-tuning jobs run in their own processes; progress and logs stream
 * as events. Merged into `calls` / `events` by src/shared/api.ts; handlers live in src/main/router/jobs.ts.
 */
import { z } from 'zod';
import { call } from './call.js';

/**
 * queued → running → done | failed | cancelled | interrupted. `cancelled` keeps the checkpoint (pause),
 * `interrupted` = the process died without being asked (SIGKILL, crash, app closed); both can be resumed.
 */
export const JobState = z.enum(['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted']);
export type JobState = z.infer<typeof JobState>;

/** The main settings a job starts with; anything left out is the method's default. */
export const JobSettings = z.object({
  epochs: z.number().int().positive().max(10_000).optional(),
  imageSize: z.number().int().min(32).max(2048).optional(),
  backbone: z.string().min(1).optional(),
  seed: z.number().int().nonnegative().default(0),
  /** Supervised methods (few-shot fine-tuning): the unsupervised model folder they build on, and shots per class. */
  baseModel: z.string().min(1).optional(),
  shots: z.number().int().positive().max(1000).optional(),
  /** Evaluate the trained model on the dataset's test split when training ends (the job's result metrics). */
  evaluate: z.boolean().default(true),
});

export const JobKind = z.enum(['train', 'pretrain']);

export const JobProgressPoint = z.object({
  step: z.number().int(),
  totalSteps: z.number().int().nullable(),
  epoch: z.number().int().nullable(),
  /** Stage name the child reported (e.g. `train`, `features`, `eval`). */
  stage: z.string().nullable(),
  losses: z.record(z.string(), z.number()),
  imagesPerSecond: z.number().nullable(),
  etaSeconds: z.number().nullable(),
  executionProvider: z.string().nullable(),
});
export type JobProgressPoint = z.infer<typeof JobProgressPoint>;

export const JobRecord = z.object({
  id: z.string(),
  /** train: `train` (+ `eval`) into a model folder; pretrain: CoRe `pretrain` into a backbone file. */
  kind: JobKind,
  method: z.string(),
  datasetRoot: z.string(),
  datasetName: z.string(),
  settings: JobSettings,
  state: JobState,
  /** Which child process is (or was last) running. */
  phase: z.enum(['train', 'eval']).nullable(),
  pid: z.number().int().nullable(),
  /** Process id of the app (or CLI) that runs the job; another live owner's running job is left alone. */
  ownerPid: z.number().int().nullable().default(null),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  /** How many times the job was launched (1 = never resumed). */
  attempts: z.number().int(),
  progress: JobProgressPoint.nullable(),
  /** Output folder: the model folder <workspace>/models/<id>/, or <workspace>/backbones/<id>/ for pretraining. */
  modelDir: z.string(),
  /** Folder of checkpoints and training state (the child's --work-dir). */
  workDir: z.string(),
  logFile: z.string(),
  /** The eval command's JSON (image/pixel AUROC, AP, F1, PRO, …) when the job evaluated its model. */
  metrics: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
  /** Whether `jobs.resume` applies (cancelled / interrupted / failed). */
  resumable: z.boolean(),
});
export type JobRecord = z.infer<typeof JobRecord>;

export const MethodInfo = z.object({
  name: z.string(),
  summary: z.string(),
  learningType: z.string(),
  defaultBackbone: z.string(),
  kind: JobKind,
});

const byId = z.object({ id: z.string().min(1) });

export const jobCalls = {
  /** Methods a job can run (the models registry, so new methods appear as they are registered). */
  'jobs.methods': call(z.object({}), z.array(MethodInfo)),
  'jobs.list': call(z.object({}), z.array(JobRecord)),
  /** One job with its loss history (every progress point kept on disk) and the tail of its log. */
  'jobs.get': call(
    byId.extend({ logLines: z.number().int().positive().max(5000).default(200) }),
    z.object({ job: JobRecord, history: z.array(JobProgressPoint), log: z.array(z.string()) }),
  ),
  /** Queues a training job on an opened dataset; it starts when no other heavy job runs. */
  'jobs.start': call(z.object({ method: z.string().min(1), datasetId: z.string().min(1), settings: JobSettings.default({ seed: 0, evaluate: true }) }), JobRecord),
  /** Stops a job (SIGTERM: the training loop checkpoints); a queued job leaves the queue. Resumable. */
  'jobs.cancel': call(byId, JobRecord),
  /** Relaunches a cancelled / interrupted / failed job from its last checkpoint (queued like a new job). */
  'jobs.resume': call(byId, JobRecord),
  /** Deletes a job that is not running: its record, log and checkpoints (the model folder stays). */
  'jobs.remove': call(byId, z.object({ ok: z.literal(true) })),
} as const;

export const jobEvents = {
  'job.progress': z.object({
    jobId: z.string(),
    step: z.number().int(),
    totalSteps: z.number().int().nullable(),
    epoch: z.number().int().nullable(),
    losses: z.record(z.string(), z.number()),
    imagesPerSecond: z.number().nullable(),
    etaSeconds: z.number().nullable(),
    executionProvider: z.string().nullable(),
    stage: z.string().nullable().optional(),
  }),
  'job.log': z.object({ jobId: z.string(), level: z.enum(['info', 'warn', 'error']), message: z.string(), time: z.string() }),
  /** A job's record changed state (queued, started, phase, finished, failed, …). */
  'job.state': JobRecord,
} as const;
