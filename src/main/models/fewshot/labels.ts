/**
 * The labelled images of few-shot fine-tuning: which defect images have a mask (the dataset's own mask files, or
 * a folder of PNGs the engineer drew, named like the images), the seeded pick of N per defect class, and the mask
 * brought onto the model input grid. Every problem is a BAD_REQUEST naming the file and the fix.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import type { ImageRecord } from '../../../shared/dataset.js';
import { StudioError } from '../../../shared/errors.js';
import { readMask, type Geometry } from '../../data/preprocess.js';
import { mulberry32, shuffled } from '../random.js';

export interface LabeledImage {
  record: ImageRecord;
  /** Absolute path of its mask PNG (nonzero = defect). */
  maskFile: string;
}

/** The mask of `r`: masksDir/<image name>.png (or <name>_mask.png) when masksDir is given, else the dataset's mask. */
export function maskFileFor(root: string, r: ImageRecord, masksDir?: string): string | null {
  if (masksDir) {
    const stem = path.basename(r.path).replace(/\.[^.]+$/, '');
    const rel = r.path.replace(/\.[^.]+$/, '');
    for (const c of [`${rel}.png`, `${stem}.png`, `${stem}_mask.png`]) {
      const f = path.join(masksDir, c);
      if (existsSync(f)) return f;
    }
    return null;
  }
  return r.maskPath ? path.join(root, r.maskPath) : null;
}

/** Defect images of `candidates` that have a mask, by defect class. */
export function labelledByClass(root: string, candidates: ImageRecord[], masksDir?: string): Map<string, LabeledImage[]> {
  const byClass = new Map<string, LabeledImage[]>();
  for (const r of candidates) {
    if (r.label === 'good' || r.label === 'unlabeled') continue;
    const maskFile = maskFileFor(root, r, masksDir);
    if (!maskFile) continue;
    if (!byClass.has(r.label)) byClass.set(r.label, []);
    byClass.get(r.label)!.push({ record: r, maskFile });
  }
  return byClass;
}

/**
 * A seeded pick of `shots` labelled images per defect class (classes without any mask are not fine-tuned on).
 * Throws when there are no masks at all, or when a class has fewer labelled images than asked for.
 */
export function pickShots(root: string, candidates: ImageRecord[], shots: number, seed: number, masksDir?: string): LabeledImage[] {
  if (!(Number.isInteger(shots) && shots >= 1)) throw new StudioError('BAD_REQUEST', `--shots must be a whole number >= 1, got ${shots}.`);
  const byClass = labelledByClass(root, candidates, masksDir);
  if (byClass.size === 0) {
    const where = masksDir ? `${masksDir} has no PNG named like a defect image of ${root} (e.g. <image name>.png)` : `${root} has no mask files for its defect images`;
    throw new StudioError('BAD_REQUEST', `Few-shot fine-tuning needs labelled defects, but ${where}. Draw masks in the Annotate screen, or pass --masks DIR with one PNG per image.`);
  }
  const picked: LabeledImage[] = [];
  for (const label of [...byClass.keys()].sort()) {
    const all = byClass.get(label)!.sort((a, b) => (a.record.path < b.record.path ? -1 : 1));
    if (all.length < shots) {
      throw new StudioError('BAD_REQUEST', `Class "${label}" has ${all.length} labelled image(s) but --shots asks for ${shots} per class; label more images of it or lower --shots.`);
    }
    let h = seed >>> 0;
    for (const ch of label) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    picked.push(...shuffled(all, mulberry32(h)).slice(0, shots));
  }
  return picked;
}

/**
 * The mask of `img` (0/1) on the model input grid of `geometry`. Rejects a mask whose size differs from its image:
 * a mask drawn on another image (or a resized copy) would teach the head the wrong pixels.
 */
export async function maskOnInput(maskFile: string, imageLabel: string, geometry: Geometry): Promise<Uint8Array> {
  let meta: Metadata;
  try {
    meta = await sharp(maskFile).metadata();
  } catch (e) {
    throw new StudioError('BAD_REQUEST', `Mask ${maskFile} is not a readable image (${(e as Error).message}); save it as a PNG with the image's size.`);
  }
  const { width, height, inWidth, inHeight, crop } = geometry;
  if (meta.width !== width || meta.height !== height) {
    throw new StudioError('BAD_REQUEST', `Mask ${maskFile} is ${meta.width}x${meta.height} but its image ${imageLabel} is ${width}x${height}; masks must have their image's size (redraw it on that image).`);
  }
  const full = await readMask(maskFile, width, height);
  const out = new Uint8Array(inWidth * inHeight);
  for (let y = 0; y < inHeight; y++) {
    const sy = Math.min(height - 1, crop.top + Math.floor(((y + 0.5) * crop.height) / inHeight));
    for (let x = 0; x < inWidth; x++) {
      const sx = Math.min(width - 1, crop.left + Math.floor(((x + 0.5) * crop.width) / inWidth));
      out[y * inWidth + x] = full[sy * width + sx];
    }
  }
  return out;
}
