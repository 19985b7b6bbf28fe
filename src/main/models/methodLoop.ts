/**
 * What every trained method (KD, EAR, few-shot) wraps around runTrainingLoop, written once: the checkpoint at
 * <workDir>/checkpoint.onnx (the file the jobs service checks before a resume, jobs/commands.ts), resume and
 * cancel taken from the TrainRequest, loop progress reported as 'train' TrainProgressEvents, and a cancelled run
 * turned into a StudioError 'CANCELLED' that names the step and where the checkpoint is.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../../shared/errors.js';
import { runTrainingLoop, type LoopResult, type TrainingLoopOptions } from '../engine/runtime/loop.js';
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

/**
 * One progress bar over a method's training stages (a second stage on the frozen first, as KD's and EAR's heads):
 * a stage's 'train' events shifted by the steps of the stages `before` it, out of the `total` of all stages.
 */
export function stageProgress(onProgress: ((e: TrainProgressEvent) => void) | undefined, before: number, total: number): ((e: TrainProgressEvent) => void) | undefined {
  return onProgress && ((e) => onProgress(e.stage === 'train' ? { ...e, done: before + e.done, total } : e));
}
