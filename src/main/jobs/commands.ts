/**
 * The command lines a job's processes run: `train` (with --work-dir/--progress json, --resume) then `eval`, or
 * `pretrain` for CoRe pretraining jobs.
 */
import path from 'node:path';
import type { JobRecord } from '../../shared/contract/jobs.js';

/** The backbone file a pretraining job writes into its output folder. */
export const BACKBONE_FILE = 'backbone.onnx';

export type JobPhase = 'train' | 'eval';

/** The checkpoint the job's training command keeps in its work folder (what resume continues from). */
export function checkpointPath(job: JobRecord): string {
  return path.join(job.workDir, job.kind === 'pretrain' ? 'core-checkpoint.onnx' : 'checkpoint.onnx');
}

export function trainArgs(job: JobRecord, resume: boolean): string[] {
  if (job.kind === 'pretrain') return pretrainArgs(job, resume);
  const s = job.settings;
  const args = ['train', '--method', job.method, '--data', job.datasetRoot, '--out', job.modelDir, '--work-dir', job.workDir, '--progress', 'json', '--seed', String(s.seed)];
  if (s.epochs !== undefined) args.push('--epochs', String(s.epochs));
  if (s.imageSize !== undefined) args.push('--image-size', String(s.imageSize));
  if (s.backbone !== undefined) args.push('--backbone', s.backbone);
  if (s.baseModel !== undefined) args.push('--base', s.baseModel);
  if (s.shots !== undefined) args.push('--shots', String(s.shots));
  if (resume) args.push('--resume');
  return args;
}

export function pretrainArgs(job: JobRecord, resume: boolean): string[] {
  const s = job.settings;
  const args = ['pretrain', '--data', job.datasetRoot, '--out', path.join(job.modelDir, BACKBONE_FILE), '--work-dir', job.workDir, '--progress', 'json', '--seed', String(s.seed)];
  // Without epochs, `pretrain` runs its default time budget.
  if (s.epochs !== undefined) args.push('--epochs', String(s.epochs));
  if (s.imageSize !== undefined) args.push('--image-size', String(s.imageSize));
  if (resume) args.push('--resume');
  return args;
}

export function evalArgs(job: JobRecord): string[] {
  return ['eval', '--model', job.modelDir, '--data', job.datasetRoot, '--json'];
}
