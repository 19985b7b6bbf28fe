import { StudioError } from '../../../shared/errors.js';
import type { DefectClass } from './classes.js';

/**
 * Conversions between the editor's class-index mask and the layouts files use:
 * - class-index: one byte per pixel, 0 = background, k = class id k (our single-channel PNG export);
 * - per-class binary: one 0/255 mask per class (MVTec AD `ground_truth/<class>/<name>_mask.png`).
 * Pixel decoding/encoding of PNG files happens in the main process (sharp); these helpers only move bytes.
 */

/** Validates and copies a class-index mask; `source` names the file in error messages. */
export function importClassIndexMask(
  data: Uint8Array,
  width: number,
  height: number,
  classes: readonly DefectClass[],
  source = 'mask',
): Uint8Array {
  if (data.length !== width * height) {
    throw new StudioError(
      'BAD_REQUEST',
      `${source} has ${data.length} pixels but the image is ${width} x ${height} (${width * height} pixels); use a mask of the image's size.`,
      { expected: width * height, actual: data.length },
    );
  }
  const known = new Uint8Array(256);
  known[0] = 1;
  for (const c of classes) known[c.id] = 1;
  for (let i = 0; i < data.length; i++) {
    if (known[data[i]] === 0) {
      throw new StudioError(
        'BAD_REQUEST',
        `${source} holds class index ${data[i]} at pixel (${i % width}, ${Math.floor(i / width)}), but no defect class has that id; add the class or fix the mask.`,
        { classIndex: data[i] },
      );
    }
  }
  return data.slice();
}

/**
 * Combines per-class binary masks (any non-zero byte = set) into a class-index mask. Where two classes
 * overlap, the later one in `masks` wins, matching the order they are drawn in.
 */
export function importBinaryMasks(
  masks: readonly { classId: number; data: Uint8Array; source?: string }[],
  width: number,
  height: number,
): Uint8Array {
  const out = new Uint8Array(width * height);
  for (const m of masks) {
    const name = m.source ?? `mask for class ${m.classId}`;
    if (m.data.length !== width * height) {
      throw new StudioError('BAD_REQUEST', `${name} has ${m.data.length} pixels but the image is ${width} x ${height}; use a mask of the image's size.`);
    }
    if (!Number.isInteger(m.classId) || m.classId < 1 || m.classId > 255) {
      throw new StudioError('BAD_REQUEST', `${name} targets class id ${m.classId}; ids must be 1..255.`);
    }
    for (let i = 0; i < out.length; i++) if (m.data[i] !== 0) out[i] = m.classId;
  }
  return out;
}

/** One 0/255 mask per class that has at least one pixel (MVTec layout writes only present classes). */
export function exportBinaryMasks(mask: Uint8Array, classes: readonly DefectClass[]): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const counts = classPixelCounts(mask);
  for (const c of classes) {
    if (counts[c.id] === 0) continue;
    const m = new Uint8Array(mask.length);
    for (let i = 0; i < mask.length; i++) if (mask[i] === c.id) m[i] = 255;
    out.set(c.id, m);
  }
  return out;
}

/** Pixel count per class index 0..255. */
export function classPixelCounts(mask: Uint8Array): Uint32Array {
  const counts = new Uint32Array(256);
  for (let i = 0; i < mask.length; i++) counts[mask[i]]++;
  return counts;
}

/** Luminance (Rec. 601, integer) of RGBA image bytes, for the fill tool's intensity tolerance. */
export function rgbaToGray(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Uint8Array {
  if (rgba.length !== width * height * 4) {
    throw new StudioError('BAD_REQUEST', `RGBA image has ${rgba.length} bytes but ${width} x ${height} needs ${width * height * 4}.`);
  }
  const gray = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < gray.length; i++, j += 4) gray[i] = (rgba[j] * 299 + rgba[j + 1] * 587 + rgba[j + 2] * 114 + 500) / 1000;
  return gray;
}
