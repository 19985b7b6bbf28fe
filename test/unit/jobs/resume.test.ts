/**
 * The jobs service on real processes: a tiny real training run (fixtures/tinyTrain.ts, runTrainingLoop with
 * checkpoints) launched through the same protocol as `train --progress json`. A job killed with SIGKILL, or
 * cancelled with SIGTERM, resumes from its checkpoint to exactly the weights of an uninterrupted job; a corrupt
 * checkpoint is refused with the file named; records survive a restart.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobProgressPoint, JobRecord } from '../../../src/shared/contract/jobs.js';
import { checkCheckpoint } from '../../../src/main/jobs/checkpointCheck.js';
import { trainArgs } from '../../../src/main/jobs/commands.js';
import { nodeLauncher } from '../../../src/main/jobs/launcher.js';
import { JobsService } from '../../../src/main/jobs/service.js';
import { JobStore } from '../../../src/main/jobs/store.js';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'tinyTrain.ts');
const EPOCHS = 6; // 50 steps each, a checkpoint at every epoch end

interface Harness {
  service: JobsService;
  progress: Array<{ id: string; p: JobProgressPoint }>;
  states: JobRecord[];
  /** Calls `fn` once, on the first progress report of job `id` at or past `step`. */
  onStep(id: string, step: number, fn: (job: JobRecord) => void): void;
}

async function open(workspace: string): Promise<Harness> {
  const progress: Harness['progress'] = [];
  const states: JobRecord[] = [];
  const hooks: Array<{ id: string; step: number; fn: (job: JobRecord) => void; done: boolean }> = [];
  const service = await JobsService.open({
    workspace,
    launcher: nodeLauncher({ entry: fixture, execArgv: ['--import', 'tsx'] }),
    argsFor: (job, _phase, resume) => [...trainArgs(job, resume), '--step-ms', '4'],
    killGraceMs: 15_000,
    emit: {
      progress: (id, p) => {
        progress.push({ id, p });
        for (const h of hooks) {
          if (!h.done && h.id === id && p.step >= h.step) {
            h.done = true;
            h.fn(service.get(id));
          }
        }
      },
      state: (job) => states.push(job),
    },
  });
  return { service, progress, states, onStep: (id, step, fn) => hooks.push({ id, step, fn, done: false }) };
}

const weightsOf = async (job: JobRecord) =>
  JSON.parse(await readFile(path.join(job.modelDir, 'weights.json'), 'utf8')) as { startStep: number; steps: number; weights: Record<string, number[]> };

let workspace: string;
let reference: Awaited<ReturnType<typeof weightsOf>>;
const settings = { epochs: EPOCHS, evaluate: false, seed: 3 };

beforeAll(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'ds-jobs-'));
  const h = await open(workspace);
  const job = await h.service.start({ method: 'tiny', datasetRoot: workspace, settings });
  const end = await h.service.waitFor(job.id);
  expect(end.state, end.error ?? '').toBe('done');
  reference = await weightsOf(end);
  expect(reference.steps).toBe(EPOCHS * 50);
  // Progress came through as typed events: steps rise, losses and the provider are there.
  const mine = h.progress.filter((x) => x.id === job.id).map((x) => x.p);
  expect(mine.length).toBeGreaterThan(10);
  expect(mine.at(-1)!.step).toBe(EPOCHS * 50);
  expect(mine[0].losses.loss).toBeGreaterThan(mine.at(-1)!.losses.loss);
  expect(mine.at(-1)!.executionProvider).toBe('cpu');
  expect((await new JobStore(workspace).history(job.id)).length).toBe(mine.length);
}, 60_000);

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

function expectSameWeights(got: Record<string, number[]>) {
  for (const [name, want] of Object.entries(reference.weights)) {
    expect(got[name].length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(got[name][i], `${name}[${i}]`).toBeCloseTo(want[i], 6);
  }
}

describe('jobs: interruption and resume on real processes', () => {
  it('a job process killed with SIGKILL mid-training is interrupted and resumes to the uninterrupted result', async () => {
    const h = await open(workspace);
    const job = await h.service.start({ method: 'tiny', datasetRoot: workspace, settings });
    // Past the second epoch's checkpoint (step 100), before the end.
    h.onStep(job.id, 130, (j) => process.kill(j.pid!, 'SIGKILL'));
    const killed = await h.service.waitFor(job.id);
    expect(killed.state).toBe('interrupted');
    expect(killed.resumable).toBe(true);
    expect(killed.error).toMatch(/SIGKILL/);
    expect(await checkCheckpoint(path.join(killed.workDir, 'checkpoint.onnx'))).toBe(100);

    await h.service.resume(job.id);
    const end = await h.service.waitFor(job.id);
    expect(end.state, end.error ?? '').toBe('done');
    expect(end.attempts).toBe(2);
    const got = await weightsOf(end);
    expect(got.startStep).toBe(100);
    expectSameWeights(got.weights);
    const log = await readFile(end.logFile, 'utf8');
    expect(log).toMatch(/resume: from the checkpoint at step 100/);
  }, 60_000);

  it('cancel (SIGTERM) checkpoints at the current step; resume finishes with the same weights', async () => {
    const h = await open(workspace);
    const job = await h.service.start({ method: 'tiny', datasetRoot: workspace, settings });
    h.onStep(job.id, 60, () => void h.service.cancel(job.id));
    const stopped = await h.service.waitFor(job.id);
    expect(stopped.state).toBe('cancelled');
    const at = await checkCheckpoint(path.join(stopped.workDir, 'checkpoint.onnx'));
    expect(at).toBeGreaterThanOrEqual(60); // the loop wrote the step it stopped at, not only the epoch end
    expect(at).toBeLessThan(EPOCHS * 50);
    expect(h.states.filter((s) => s.id === job.id).map((s) => s.state)).toContain('running');

    await h.service.resume(job.id);
    const end = await h.service.waitFor(job.id);
    expect(end.state, end.error ?? '').toBe('done');
    const got = await weightsOf(end);
    expect(got.startStep).toBe(at);
    expectSameWeights(got.weights);
  }, 60_000);

  it('a corrupt or truncated checkpoint is refused with the file named and the fix; the job is failed, not run', async () => {
    const h = await open(workspace);
    const job = await h.service.start({ method: 'tiny', datasetRoot: workspace, settings: { ...settings, epochs: 2 } });
    h.onStep(job.id, 60, () => void h.service.cancel(job.id));
    const stopped = await h.service.waitFor(job.id);
    expect(stopped.state).toBe('cancelled');
    const file = path.join(stopped.workDir, 'checkpoint.onnx');

    await truncate(file, 300);
    await expect(h.service.resume(job.id)).rejects.toThrow(/checkpoint .*checkpoint\.onnx is corrupt.*Delete/s);
    const failed = h.service.get(job.id);
    expect(failed.state).toBe('failed');
    expect(failed.error).toContain(file);
    expect(failed.attempts).toBe(1); // nothing was launched

    await writeFile(file, 'not a model at all');
    await expect(h.service.resume(job.id)).rejects.toThrow(/is corrupt/);

    // The fix the message gives works: without the checkpoint the job trains from step 0.
    await rm(file);
    await h.service.resume(job.id);
    const end = await h.service.waitFor(job.id);
    expect(end.state, end.error ?? '').toBe('done');
    expect((await weightsOf(end)).startStep).toBe(0);
  }, 60_000);

  it('after a restart a job recorded as running with a dead process is interrupted and resumable; queued jobs stay queued', async () => {
    const store = new JobStore(workspace);
    const h = await open(workspace);
    const a = await h.service.start({ method: 'tiny', datasetRoot: workspace, settings: { ...settings, epochs: 1 } });
    await h.service.waitFor(a.id);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // a pid that no longer runs
    await store.save({ ...h.service.get(a.id), state: 'running', pid: dead, resumable: false });

    const reopened = await open(workspace);
    const rec = reopened.service.get(a.id);
    expect(rec.state).toBe('interrupted');
    expect(rec.resumable).toBe(true);
    expect(rec.error).toMatch(/resume/);
    expect((await store.load(a.id)).state).toBe('interrupted');
  }, 60_000);
});
