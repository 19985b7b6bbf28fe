/**
 * Before a job is resumed its checkpoint is read once in the app's process, so a corrupt file (truncated by a
 * full disk, overwritten, not ONNX) is reported with the file and the fix instead of as a child's stack trace.
 */
import { existsSync } from 'node:fs';
import { StudioError } from '../../shared/errors.js';
import { loadCheckpoint, META_STEP } from '../engine/runtime/checkpoint.js';

/** The step stored in `file`, or null when there is no checkpoint (the job restarts from step 0). */
export async function checkCheckpoint(file: string): Promise<number | null> {
  if (!existsSync(file)) return null;
  const fix = `Delete ${file} to restart the job from the beginning (or remove the job).`;
  let step: number;
  try {
    const { model, data } = await loadCheckpoint(file);
    if (!(model.metadataProps ?? []).some((p) => p.key === META_STEP)) throw new Error(`it has no "${META_STEP}" entry, so it was not written by the training loop`);
    step = data.step;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new StudioError('UNREADABLE', `The checkpoint ${file} is corrupt and cannot be resumed: ${why}. ${fix}`, { file });
  }
  if (!Number.isInteger(step) || step < 0) {
    throw new StudioError('UNREADABLE', `The checkpoint ${file} is corrupt and cannot be resumed: its step is "${step}". ${fix}`, { file });
  }
  return step;
}
