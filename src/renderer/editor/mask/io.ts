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

/** Decoded pixels of a mask image file, as sharp's `raw()` output gives them. */
export interface DecodedMaskImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/**
 * Turns a mask image drawn elsewhere into a class-index mask, whatever of the usual layouts it uses:
 * - one channel (or RGB/RGBA whose channels are all equal, i.e. grey saved as colour), with
 *   - only 0 and 255 (and 255 is no class id): a binary mask (MVTec `_mask.png`) -> `binaryClassId`;
 *   - only 0 and known class ids: a class-index mask;
 * - true colour: each pixel's colour must be black (background) or exactly one class's colour.
 * Anything else is a BAD_REQUEST naming the file, the first offending pixel and what to do.
 */
export function interpretMaskImage(
  img: DecodedMaskImage,
  expected: { width: number; height: number },
  classes: readonly DefectClass[],
  binaryClassId: number,
  source = 'mask image',
): Uint8Array {
  const { width, height, channels, data } = img;
  if (width !== expected.width || height !== expected.height) {
    throw new StudioError(
      'BAD_REQUEST',
      `${source} is ${width} x ${height} but its image is ${expected.width} x ${expected.height}; a mask must have its image's size.`,
      { expected, actual: { width, height } },
    );
  }
  if (![1, 2, 3, 4].includes(channels) || data.length !== width * height * channels) {
    throw new StudioError('BAD_REQUEST', `${source} has ${channels} channels and ${data.length} bytes; expected 1-4 channels of ${width} x ${height} 8-bit pixels.`);
  }
  const n = width * height;
  const colourChannels = channels >= 3 ? 3 : 1;
  let grey = true;
  if (colourChannels === 3) {
    for (let i = 0; i < n && grey; i++) {
      const j = i * channels;
      grey = data[j] === data[j + 1] && data[j] === data[j + 2];
    }
  }
  if (grey) {
    const values = new Uint8Array(n);
    const present = new Uint8Array(256);
    for (let i = 0; i < n; i++) present[(values[i] = data[i * channels])] = 1;
    const known = new Set(classes.map((c) => c.id));
    const isBinary = present.every((p, v) => p === 0 || v === 0 || v === 255) && !known.has(255);
    if (isBinary) {
      if (!known.has(binaryClassId)) throw new StudioError('BAD_REQUEST', `Binary mask ${source} needs a class to paint with; class id ${binaryClassId} does not exist.`);
      for (let i = 0; i < n; i++) if (values[i] !== 0) values[i] = binaryClassId;
      return values;
    }
    return importClassIndexMask(values, width, height, classes, source);
  }
  const byColour = new Map<number, number>([[0, 0]]);
  for (const c of classes) byColour.set((c.color[0] << 16) | (c.color[1] << 8) | c.color[2], c.id);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const j = i * channels;
    const key = (data[j] << 16) | (data[j + 1] << 8) | data[j + 2];
    const id = byColour.get(key);
    if (id === undefined) {
      throw new StudioError(
        'BAD_REQUEST',
        `${source} has colour rgb(${data[j]}, ${data[j + 1]}, ${data[j + 2]}) at pixel (${i % width}, ${Math.floor(i / width)}), which is neither black nor a class colour; save the mask as class indices or with the classes' exact colours.`,
      );
    }
    out[i] = id;
  }
  return out;
}
