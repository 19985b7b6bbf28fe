/**
 * What a two-stage method (EAR's U-Net + head, KD's student + head) keeps in its work folder beside the first
 * stage's checkpoint (methodLoop.ts: <workDir>/checkpoint.onnx), so a resume cannot silently continue or re-export
 * checkpoints made with other settings:
 * - a settings file: the settings that shaped the first stage's training, written when it starts from step 0; a
 *   resume with other ones is refused (the checkpoint carries weights and a step, not what they were trained on).
 *   The step count is left out on purpose: resuming with more steps trains the same network on.
 * - head-<settings>/ (EAR disc.ts discDirName, KD train.ts headDirName): each learnt the first stage as it was then,
 *   so once the first stage trains again every one of them is stale and removed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { ImageRecord } from '../../shared/dataset.js';
import { StudioError } from '../../shared/errors.js';
import { writeFileAtomic } from '../engine/runtime/atomicWrite.js';
import { METHOD_CHECKPOINT } from './methodLoop.js';

/** Every head checkpoint folder's name starts so (dropStaleHeads finds them by it). */
export const HEAD_DIR_PREFIX = 'head-';

/** A method's work folder: the first stage's settings file, and how its errors name that stage ('EAR: the U-Net'). */
export interface StagedWorkDir {
  settingsFile: string;
  stage: string;
}

/** The training images as settings: their count and a hash of their paths in order (the order sets the batches). */
export function trainListSettings(train: ImageRecord[]): { trainImages: number; trainList: string } {
  return { trainImages: train.length, trainList: createHash('sha1').update(train.map((r) => r.path).join('\n')).digest('hex').slice(0, 16) };
}

/**
 * Before the first stage: refuses to resume a checkpoint recorded with other settings; when the stage starts afresh,
 * drops the checkpoint and the heads of the network it replaces and records its settings (atomically, after the
 * old checkpoint is gone: a run killed before its first epoch must not leave new settings beside an old network).
 * A checkpoint without the record (older folders) resumes as before.
 */
export async function claimCheckpoint(layout: StagedWorkDir, workDir: string | undefined, resume: boolean | undefined, settings: Record<string, unknown>): Promise<void> {
  if (!workDir) return;
  const file = path.join(workDir, layout.settingsFile);
  const checkpoint = path.join(workDir, METHOD_CHECKPOINT);
  if (resume && existsSync(checkpoint)) {
    if (!existsSync(file)) return;
    const was = readSettings(file);
    const differ = [...new Set([...Object.keys(was), ...Object.keys(settings)])].filter((k) => JSON.stringify(was[k]) !== JSON.stringify(settings[k]));
    if (differ.length) {
      const what = differ.map((k) => `${k} ${JSON.stringify(was[k])} -> ${JSON.stringify(settings[k])}`).join(', ');
      throw new StudioError('BAD_REQUEST', `${layout.stage} checkpoint in ${workDir} was trained with other settings (${what}); resume it with its own settings, or train in another work folder.`);
    }
    return;
  }
  mkdirSync(workDir, { recursive: true });
  rmSync(checkpoint, { force: true });
  dropStaleHeads(workDir, true);
  await writeFileAtomic(file, new TextEncoder().encode(`${JSON.stringify(settings, null, 1)}\n`));
}

function readSettings(file: string): Record<string, unknown> {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below with the file's name
  }
  throw new StudioError('BAD_REQUEST', `${file} is not a readable settings record, so the checkpoint beside it cannot be checked; delete the work folder ${path.dirname(file)} and train again.`);
}

/** After the first stage: when it trained in this run, the head checkpoints beside it learnt another network. */
export function dropStaleHeads(workDir: string | undefined, firstStageTrained: boolean): void {
  if (!workDir || !firstStageTrained || !existsSync(workDir)) return;
  for (const e of readdirSync(workDir, { withFileTypes: true })) {
    if (e.isDirectory() && e.name.startsWith(HEAD_DIR_PREFIX)) rmSync(path.join(workDir, e.name), { recursive: true, force: true });
  }
}
