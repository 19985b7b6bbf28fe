/**
 * EAR's work folder (models/workDir.ts): the U-Net's settings in unet-settings.json beside its checkpoint, the
 * heads in head-<settings>/ (disc.ts discDirName).
 */
import type { ImageRecord } from '../../../shared/dataset.js';
import type { Backbone } from '../backbones/types.js';
import { trainListSettings, type StagedWorkDir } from '../workDir.js';
import type { EarParams } from './train.js';

export const EAR_WORK_DIR: StagedWorkDir = { settingsFile: 'unet-settings.json', stage: 'EAR: the U-Net' };

/** The U-Net stage's inputs besides its step count (the caller adds the preprocessing multiple, which the head's stride sets). */
const UNET_KEYS = ['imageSize', 'maxLong', 'scale', 'photometric', 'attention', 'maskFraction', 'dilate', 'hint', 'mosaicCell', 'channels', 'batch', 'crop', 'lr', 'randomBoxes', 'l1Weight', 'ssimWeight', 'featureLossWeight', 'denoise'] as const;

export function unetSettings(p: EarParams, extra: { backbone: Backbone; seed: number; train: ImageRecord[]; multiple: number }): Record<string, unknown> {
  const s: Record<string, unknown> = { backbone: extra.backbone.name, seed: extra.seed, multiple: extra.multiple };
  for (const k of UNET_KEYS) s[k] = p[k];
  if (p.featureLossWeight > 0) s.featureLevels = p.featureLevels;
  return { ...s, ...trainListSettings(extra.train) };
}
