/**
 * What every trained method (KD, EAR, few-shot) wraps around runTrainingLoop, written once: the checkpoint at
 * <workDir>/checkpoint.onnx (the file the jobs service checks before a resume, jobs/commands.ts), resume and
 * cancel taken from the TrainRequest, loop progress reported as 'train' TrainProgressEvents, and a cancelled run
 * turned into a StudioError 'CANCELLED' that names the step and where the checkpoint is.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../../shared/errors.js';
import { probeShapes } from '../engine/autodiff/shapes.js';
import type { ModelProto } from '../engine/onnx/proto.js';
import { buildTrainingModel } from '../engine/optim/trainingGraph.js';
import { runTrainingLoop, type LoopResult, type TrainingLoopOptions } from '../engine/runtime/loop.js';
import { Trainer } from '../engine/runtime/trainer.js';
import type { TrainProgressEvent, TrainRequest } from './types.js';

export const METHOD_CHECKPOINT = 'checkpoint.onnx';

export type MethodLoopRequest = Pick<TrainRequest, 'workDir' | 'resume' | 'signal' | 'onProgress'>;

export async function runMethodLoop(
  label: string,
  req: MethodLoopRequest,
  o: Omit<TrainingLoopOptions, 'checkpointFile' | 'resume' | 'signal' | 'onProgress'>,
): Promise<LoopResult> {
  if (req.workDir) await mkdir(req.workDir, { recursive: true });
  const loop = await runTrainingLoop({
    ...o,
    checkpointFile: req.workDir ? path.join(req.workDir, METHOD_CHECKPOINT) : undefined,
    resume: req.resume,
    signal: req.signal,
    onProgress: (lp) =>
      req.onProgress?.({ stage: 'train', done: lp.step, total: lp.totalSteps, losses: lp.losses, epoch: lp.epoch, imagesPerSecond: lp.imagesPerSecond, etaSeconds: lp.etaSeconds }),
  });
  if (loop.stoppedBy === 'cancelled') {
    const where = req.workDir ? `; its checkpoint is in ${req.workDir}, train again with resume to continue` : '';
    throw new StudioError('CANCELLED', `${label} training was cancelled at step ${loop.steps} of ${o.totalSteps}${where}.`);
  }
  return loop;
}

/** What a method records of a finished training loop in model.json (and the bench records). */
export type LoopSummary = Pick<LoopResult, 'steps' | 'startStep' | 'stoppedBy' | 'seconds'> & { firstLoss: number | null; lastLoss: number | null };

export function loopSummary(loop: LoopResult): LoopSummary {
  return { steps: loop.steps, startStep: loop.startStep, stoppedBy: loop.stoppedBy, seconds: loop.seconds, firstLoss: loop.losses[0] ?? null, lastLoss: loop.losses.at(-1) ?? null };
}

/**
 * One progress bar over a method's training stages (a second stage on the frozen first, as KD's and EAR's heads):
 * a stage's 'train' events shifted by the steps of the stages `before` it, out of the `total` of all stages.
 */
export function stageProgress(onProgress: ((e: TrainProgressEvent) => void) | undefined, before: number, total: number): ((e: TrainProgressEvent) => void) | undefined {
  return onProgress && ((e) => onProgress(e.stage === 'train' ? { ...e, done: before + e.done, total } : e));
}

/** A method's forward training graph: the parameters to train, the loss output and the loss terms it reports. */
export interface TrainingForward {
  model: ModelProto;
  params: string[];
  loss: string;
  terms: string[];
}

/**
 * Adam on `fwd`'s parameters through runMethodLoop, shapes probed on step 0's batch: the trained state (parameters
 * and BN statistics, copied out before the trainer is released) and the loop.
 */
export async function trainForwardWithAdam(
  label: string,
  req: MethodLoopRequest,
  fwd: TrainingForward,
  o: Omit<TrainingLoopOptions, 'trainer' | 'forward' | 'checkpointFile' | 'resume' | 'signal' | 'onProgress'>,
): Promise<{ weights: Map<string, { dims: number[]; data: Float32Array }>; loop: LoopResult }> {
  const shapes = await probeShapes(fwd.model, await o.makeBatch(0));
  const training = buildTrainingModel(fwd.model, { loss: fwd.loss, optimizer: { kind: 'adam' }, shapes, params: fwd.params, reportOutputs: fwd.terms });
  const trainer = await Trainer.create(training, { optimizerName: 'adam' });
  try {
    const loop = await runMethodLoop(label, req, { ...o, trainer, forward: fwd.model });
    const weights = new Map([...trainer.stateTensors()].map(([k, v]) => [k, { dims: v.dims, data: Float32Array.from(v.data as Float32Array) }]));
    return { weights, loop };
  } finally {
    await trainer.release();
  }
}
