/**
 * The one training loop every trained method uses (KD students, EAR U-Nets, CoRe pretraining, few-shot heads):
 * steps a Trainer through a fixed number of steps with a learning-rate schedule, reports progress (losses,
 * throughput, ETA), checkpoints atomically, stops on cancel or a time budget, and resumes from its checkpoint.
 *
 * Resuming gives the same result as an uninterrupted run because the loop owns no randomness: `makeBatch(step)`
 * must build the batch of a step from the step number alone (seed an Rng with seed + step), and the schedule is
 * a function of the step. The checkpoint stores weights, optimizer slots, BN running statistics and the step.
 */
import { existsSync } from 'node:fs';
import type * as ort from 'onnxruntime-node';
import { StudioError } from '../../../shared/errors.js';
import type { ModelProto } from '../onnx/proto.js';
import { loadCheckpoint } from './checkpoint.js';
import type { Trainer } from './trainer.js';

export interface LoopProgress {
  /** Steps done so far (1-based after the first step). */
  step: number;
  totalSteps: number;
  epoch: number;
  /** `loss` plus every reported output of the training model, averaged over the steps since the last report. */
  losses: Record<string, number>;
  imagesPerSecond: number | null;
  etaSeconds: number | null;
}

export interface TrainingLoopOptions {
  trainer: Trainer;
  /** Forward model the checkpoint is written from (the Trainer's current weights replace its initializers). */
  forward: ModelProto;
  totalSteps: number;
  stepsPerEpoch: number;
  /** Images per step, for the throughput figure. */
  batchImages: number;
  /** The batch of step `step` (0-based); must depend on `step` only, so a resumed run sees the same batches. */
  makeBatch(step: number): Promise<Record<string, ort.Tensor>> | Record<string, ort.Tensor>;
  /** Learning rate at step `step` (0-based); see cosineSchedule. */
  lr(step: number): number;
  /** Checkpoint file (an ONNX file, see checkpoint.ts); written at every epoch end, on cancel and at the end. */
  checkpointFile?: string;
  /** Also checkpoint when this many seconds passed since the last one (long epochs); default 300. */
  checkpointEverySeconds?: number;
  /** Continue from checkpointFile when it exists. */
  resume?: boolean;
  signal?: AbortSignal;
  /** Wall-clock budget in seconds for this call (CoRe's --minutes); the loop stops cleanly at the next step. */
  budgetSeconds?: number;
  /** Progress reports: every `reportEvery` steps (default 1) and at the end. */
  onProgress?(p: LoopProgress): void;
  reportEvery?: number;
}

export interface LoopResult {
  steps: number;
  /** Where the loop began (0, or the checkpoint's step when resumed). */
  startStep: number;
  stoppedBy: 'done' | 'cancelled' | 'budget';
  /** Loss of every step run by this call, in order. */
  losses: number[];
  seconds: number;
}

/** Cosine decay from `base` to `base * floor` over `total` steps after a linear warm-up of `warmup` steps. */
export function cosineSchedule(base: number, total: number, opts: { warmup?: number; floor?: number } = {}): (step: number) => number {
  const warmup = Math.max(0, opts.warmup ?? 0);
  const floor = opts.floor ?? 0;
  return (step) => {
    if (step < warmup) return (base * (step + 1)) / warmup;
    const p = total > warmup ? Math.min(1, (step - warmup) / (total - warmup)) : 1;
    return base * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * p)));
  };
}

export async function runTrainingLoop(o: TrainingLoopOptions): Promise<LoopResult> {
  if (!(o.totalSteps > 0) || !(o.stepsPerEpoch > 0)) {
    throw new StudioError('BAD_REQUEST', `Training needs at least one step (got ${o.totalSteps} steps, ${o.stepsPerEpoch} per epoch).`);
  }
  if (o.resume && o.checkpointFile && existsSync(o.checkpointFile)) {
    const { data } = await loadCheckpoint(o.checkpointFile);
    o.trainer.restore(data);
  }
  const startStep = o.trainer.stepCount;
  const began = Date.now();
  const losses: number[] = [];
  const every = Math.max(1, o.reportEvery ?? 1);
  const sums: Record<string, number> = {};
  let summed = 0;
  let lastCheckpoint = began;
  const checkpointEvery = (o.checkpointEverySeconds ?? 300) * 1000;
  const save = async () => {
    if (!o.checkpointFile) return;
    await o.trainer.saveCheckpoint(o.checkpointFile, o.forward);
    lastCheckpoint = Date.now();
  };
  const report = (step: number) => {
    if (!o.onProgress || summed === 0) return;
    const elapsed = (Date.now() - began) / 1000;
    const done = step - startStep;
    const perStep = done > 0 ? elapsed / done : null;
    const avg: Record<string, number> = {};
    for (const [k, v] of Object.entries(sums)) avg[k] = v / summed;
    o.onProgress({
      step,
      totalSteps: o.totalSteps,
      epoch: Math.floor((step - 1) / o.stepsPerEpoch),
      losses: avg,
      imagesPerSecond: perStep ? o.batchImages / perStep : null,
      etaSeconds: perStep ? perStep * (o.totalSteps - step) : null,
    });
    for (const k of Object.keys(sums)) delete sums[k];
    summed = 0;
  };

  let stoppedBy: LoopResult['stoppedBy'] = 'done';
  for (let step = startStep; step < o.totalSteps; step++) {
    if (o.signal?.aborted) {
      stoppedBy = 'cancelled';
      break;
    }
    if (o.budgetSeconds !== undefined && (Date.now() - began) / 1000 >= o.budgetSeconds) {
      stoppedBy = 'budget';
      break;
    }
    const batch = await o.makeBatch(step);
    const { loss, terms } = await o.trainer.step(batch, o.lr(step));
    if (!Number.isFinite(loss)) {
      throw new StudioError('INTERNAL', `Training diverged at step ${step + 1}: the loss is ${loss}. Lower the learning rate, or resume from the last checkpoint.`);
    }
    losses.push(loss);
    sums.loss = (sums.loss ?? 0) + loss;
    for (const [k, v] of Object.entries(terms)) sums[k] = (sums[k] ?? 0) + v;
    summed++;
    const done = step + 1;
    if (done % every === 0 || done === o.totalSteps) report(done);
    if (done % o.stepsPerEpoch === 0 || Date.now() - lastCheckpoint >= checkpointEvery) await save();
  }
  report(o.trainer.stepCount);
  if (stoppedBy !== 'done' || o.trainer.stepCount % o.stepsPerEpoch !== 0) await save();
  return { steps: o.trainer.stepCount, startStep, stoppedBy, losses, seconds: (Date.now() - began) / 1000 };
}
