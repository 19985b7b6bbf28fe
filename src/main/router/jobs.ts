/** Handlers of the jobs contract (src/shared/contract/jobs.ts): the JobsService wired to the event bus. */
import type { jobCalls } from '../../shared/contract/jobs.js';
import { nodeLauncher, type ProcessLauncher } from '../jobs/launcher.js';
import { JobsService } from '../jobs/service.js';
import type { DomainDeps, DomainModule } from './domain.js';

/** CoRe pretraining is a job kind of its own (the `pretrain` command writes a backbone, not a model folder). */
const PRETRAIN = {
  name: 'core',
  summary: 'CoRe self-supervised pretraining of a backbone on the images (contrastive + restorative); use it as a backbone in later jobs',
  learningType: 'self-supervised',
  defaultBackbone: 'resnet',
  kind: 'pretrain' as const,
};

export interface JobsModuleOptions {
  /** How job processes start (default: Node child processes running bin/defect-studio.js). */
  launcher?: ProcessLauncher;
  killGraceMs?: number;
}

export async function createJobsModule(deps: DomainDeps, opts: JobsModuleOptions = {}): Promise<DomainModule<typeof jobCalls>> {
  const jobs = await JobsService.open({
    workspace: deps.workspace,
    launcher: opts.launcher ?? nodeLauncher(),
    killGraceMs: opts.killGraceMs,
    executionProvider: async () => (await deps.executionProvider()).name,
    emit: {
      progress: (jobId, p) => deps.events.emit('job.progress', { jobId, ...p }),
      log: (jobId, level, message, time) => deps.events.emit('job.log', { jobId, level, message, time }),
      state: (job) => deps.events.emit('job.state', job),
    },
  });
  return {
    handlers: {
      'jobs.methods': async () => {
        // Imported on first use: the methods pull in ONNX Runtime, which the app does not load at start.
        const { METHODS } = await import('../models/index.js');
        const trained = METHODS.map((m) => ({ name: m.name, summary: m.summary, learningType: m.learningType, defaultBackbone: m.defaultBackbone, kind: 'train' as const }));
        return METHODS.some((m) => m.name === PRETRAIN.name) ? trained : [...trained, PRETRAIN];
      },
      'jobs.list': () => jobs.list(),
      'jobs.get': async ({ id, logLines }) => ({ job: jobs.get(id), history: await jobs.history(id), log: await jobs.logTail(id, logLines) }),
      'jobs.start': async ({ method, datasetId, settings }) => {
        const { METHODS, methodByName } = await import('../models/index.js');
        const kind = method === PRETRAIN.name && !METHODS.some((m) => m.name === method) ? 'pretrain' : 'train';
        if (kind === 'train') methodByName(method); // unknown method → BAD_REQUEST listing the available ones
        const summary = (await deps.datasets.list()).find((d) => d.id === datasetId);
        const root = summary?.root ?? (await deps.datasets.root(datasetId));
        return jobs.start({ method, kind, datasetRoot: root, datasetName: summary?.name, settings });
      },
      'jobs.cancel': ({ id }) => jobs.cancel(id),
      'jobs.resume': ({ id }) => jobs.resume(id),
      'jobs.remove': async ({ id }) => {
        await jobs.remove(id);
        return { ok: true as const };
      },
    },
    dispose: () => jobs.close(),
  };
}
