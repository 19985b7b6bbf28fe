/**
 * What EAR keeps in a work folder beside the U-Net's checkpoint (methodLoop.ts: <workDir>/checkpoint.onnx), so a
 * resume cannot silently continue or re-export checkpoints made with other settings:
 * - unet-settings.json: the settings that shaped the U-Net's training, written when it starts from step 0; a resume
 *   with other ones is refused (the checkpoint carries weights and a step, not what they were trained on). The step
 *   count is left out on purpose: resuming with more steps trains the same U-Net on (disc.test.ts).
 * - head-<settings>/ (disc.ts discDirName): each learnt the recoveries of the U-Net as it was then, so once the U-Net
 *   trains again every one of them is stale and removed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ImageRecord } from '../../../shared/dataset.js';
import { StudioError } from '../../../shared/errors.js';
import type { Backbone } from '../backbones/types.js';
import { METHOD_CHECKPOINT } from '../methodLoop.js';
import { HEAD_DIR_PREFIX } from './disc.js';
import type { EarParams } from './train.js';

export const UNET_SETTINGS_FILE = 'unet-settings.json';

/** The U-Net stage's inputs besides its step count (the caller adds the preprocessing multiple, which the head's stride sets). */
const UNET_KEYS = ['imageSize', 'maxLong', 'scale', 'photometric', 'attention', 'maskFraction', 'dilate', 'hint', 'mosaicCell', 'channels', 'batch', 'crop', 'lr', 'randomBoxes', 'l1Weight', 'ssimWeight', 'featureLossWeight', 'denoise'] as const;

export function unetSettings(p: EarParams, extra: { backbone: Backbone; seed: number; train: ImageRecord[]; multiple: number }): Record<string, unknown> {
  const s: Record<string, unknown> = { backbone: extra.backbone.name, seed: extra.seed, multiple: extra.multiple };
  for (const k of UNET_KEYS) s[k] = p[k];
  if (p.featureLossWeight > 0) s.featureLevels = p.featureLevels;
  s.trainImages = extra.train.length;
  s.trainList = createHash('sha1').update(extra.train.map((r) => r.path).join('\n')).digest('hex').slice(0, 16);
  return s;
}

/**
 * Before the U-Net stage: refuses to resume a checkpoint recorded with other settings; when the U-Net starts afresh,
 * records its settings and drops the heads of the U-Net it replaces. A checkpoint without the record (older
 * folders) resumes as before.
 */
export function claimUnetCheckpoint(workDir: string | undefined, resume: boolean | undefined, settings: Record<string, unknown>): void {
  if (!workDir) return;
  const file = path.join(workDir, UNET_SETTINGS_FILE);
  if (resume && existsSync(path.join(workDir, METHOD_CHECKPOINT))) {
    if (!existsSync(file)) return;
    const was = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const differ = [...new Set([...Object.keys(was), ...Object.keys(settings)])].filter((k) => JSON.stringify(was[k]) !== JSON.stringify(settings[k]));
    if (differ.length) {
      const what = differ.map((k) => `${k} ${JSON.stringify(was[k])} -> ${JSON.stringify(settings[k])}`).join(', ');
      throw new StudioError('BAD_REQUEST', `EAR: the U-Net checkpoint in ${workDir} was trained with other settings (${what}); resume it with its own settings, or train in another work folder.`);
    }
    return;
  }
  mkdirSync(workDir, { recursive: true });
  dropStaleHeads(workDir, true);
  writeFileSync(file, `${JSON.stringify(settings, null, 1)}\n`);
}

/** After the U-Net stage: when it trained in this run, the head checkpoints beside it learnt another U-Net's recoveries. */
export function dropStaleHeads(workDir: string | undefined, unetTrained: boolean): void {
  if (!workDir || !unetTrained || !existsSync(workDir)) return;
  for (const e of readdirSync(workDir, { withFileTypes: true })) {
    if (e.isDirectory() && e.name.startsWith(HEAD_DIR_PREFIX)) rmSync(path.join(workDir, e.name), { recursive: true, force: true });
  }
}
