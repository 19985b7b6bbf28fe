/** The command lines a job's processes run: `train` (with --work-dir/--progress json, --resume) then `eval`. */
import type { JobRecord } from '../../shared/contract/jobs.js';

export type JobPhase = 'train' | 'eval';

export function trainArgs(job: JobRecord, resume: boolean): string[] {
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

export function evalArgs(job: JobRecord): string[] {
  return ['eval', '--model', job.modelDir, '--data', job.datasetRoot, '--json'];
}
