/**
 * Image -> model input, the one code path that training, inspection and evaluation share.
 *
 * Geometry (`fit`):
 * - 'stretch': resize to size x size, ignoring aspect ratio.
 * - 'short-side': scale so the short side is `size`, keep the aspect ratio, round both sides to a multiple of
 *   `multiple` (the backbone's coarsest stride), cap the long side at `maxLong`. Variable-size inputs: the
 *   model graph is fully convolutional. Keeping the aspect ratio matters on long parts (METHODS.md).
 * - 'center-crop': scale the short side to `size`, then crop the centre size x size.
 * Colour: grayscale is replicated to 3 channels, alpha is dropped; the result is uint8 RGB planes (NCHW, N = 1).
 * The [0,255] -> [0,1] scaling and the backbone's normalisation are inside model.onnx, so an exported model takes
 * this exact tensor.
 *
 * `toImageGeometry` maps a map computed on the model input back onto the original image (inverse of the above).
 */
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { StudioError } from '../../shared/errors.js';

export type Fit = 'stretch' | 'short-side' | 'center-crop';

export interface PreprocessSpec {
  fit: Fit;
  size: number;
  multiple: number;
  maxLong: number;
}

export interface Geometry {
  /** Original image size. */
  width: number;
  height: number;
  /** Model input size. */
  inWidth: number;
  inHeight: number;
  /** The original-image rectangle the model input covers (the crop, for 'center-crop'). */
  crop: { left: number; top: number; width: number; height: number };
}

export interface Preprocessed {
  /** uint8 RGB planes, [3, inHeight, inWidth]. */
  data: Uint8Array;
  geometry: Geometry;
}

export function geometryFor(width: number, height: number, spec: PreprocessSpec): Geometry {
  const { size, multiple } = spec;
  const round = (v: number) => Math.max(multiple, Math.round(v / multiple) * multiple);
  if (spec.fit === 'stretch') return { width, height, inWidth: size, inHeight: size, crop: { left: 0, top: 0, width, height } };
  if (spec.fit === 'center-crop') {
    const s = Math.min(width, height);
    const crop = { left: Math.floor((width - s) / 2), top: Math.floor((height - s) / 2), width: s, height: s };
    return { width, height, inWidth: size, inHeight: size, crop };
  }
  const scale = size / Math.min(width, height);
  let inWidth = round(width * scale);
  let inHeight = round(height * scale);
  if (Math.max(inWidth, inHeight) > spec.maxLong) {
    const k = spec.maxLong / Math.max(inWidth, inHeight);
    inWidth = round(inWidth * k);
    inHeight = round(inHeight * k);
  }
  return { width, height, inWidth, inHeight, crop: { left: 0, top: 0, width, height } };
}

/**
 * Pixels a caller already decoded (sharp's raw layout, 8 bits per channel), so one decode can serve the model and
 * something else (the review run's JPEG view). Gives the same tensor as the file only where the file's decoder does
 * not shrink on load (PNG; not JPEG or WebP, whose shrink-on-load the file path uses).
 */
export interface DecodedPixels {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

function isDecoded(input: string | Buffer | DecodedPixels): input is DecodedPixels {
  return typeof input !== 'string' && !Buffer.isBuffer(input);
}

/** Decodes and preprocesses one image file (or encoded buffer, or decoded pixels). Errors name the file. */
export async function preprocessImage(input: string | Buffer | DecodedPixels, spec: PreprocessSpec, label = typeof input === 'string' ? input : 'image'): Promise<Preprocessed> {
  let meta: Pick<Metadata, 'width' | 'height'>;
  try {
    meta = isDecoded(input) ? input : await sharp(input).metadata();
  } catch (e) {
    throw new StudioError('UNREADABLE', `${label} is not a readable image (${(e as Error).message}).`);
  }
  if (!meta.width || !meta.height) throw new StudioError('UNREADABLE', `${label} has no image size.`);
  const geometry = geometryFor(meta.width, meta.height, spec);
  let raw: { data: Buffer; info: OutputInfo };
  try {
    let img = isDecoded(input) ? sharp(input.data, { raw: { width: input.width, height: input.height, channels: input.channels } }) : sharp(input, { failOn: 'error' });
    if (spec.fit === 'center-crop') img = img.extract(geometry.crop);
    raw = await img
      .resize(geometry.inWidth, geometry.inHeight, { fit: 'fill', kernel: 'cubic' })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new StudioError('UNREADABLE', `${label} could not be decoded (${(e as Error).message}).`);
  }
  const { data, info } = raw;
  const plane = info.width * info.height;
  const out = new Uint8Array(3 * plane);
  if (info.channels === 1) {
    out.set(data.subarray(0, plane), 0);
    out.set(data.subarray(0, plane), plane);
    out.set(data.subarray(0, plane), 2 * plane);
  } else if (info.channels === 3) {
    for (let i = 0; i < plane; i++) {
      out[i] = data[3 * i];
      out[plane + i] = data[3 * i + 1];
      out[2 * plane + i] = data[3 * i + 2];
    }
  } else {
    throw new StudioError('UNSUPPORTED', `${label} has ${info.channels} colour channels after dropping alpha; Defect Studio reads grayscale or RGB images.`);
  }
  return { data: out, geometry };
}

/**
 * Bilinear resample of a [inHeight, inWidth] map onto the original image grid (half-pixel centres, like ONNX
 * Resize 'half_pixel'); pixels outside the crop get `fill`.
 */
export function toImageGeometry(map: Float32Array, g: Geometry, fill = 0): Float32Array {
  const out = new Float32Array(g.width * g.height).fill(fill);
  const sx = g.inWidth / g.crop.width;
  const sy = g.inHeight / g.crop.height;
  for (let y = 0; y < g.crop.height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), g.inHeight - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, g.inHeight - 1);
    const wy = fy - y0;
    for (let x = 0; x < g.crop.width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), g.inWidth - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, g.inWidth - 1);
      const wx = fx - x0;
      const top = map[y0 * g.inWidth + x0] * (1 - wx) + map[y0 * g.inWidth + x1] * wx;
      const bot = map[y1 * g.inWidth + x0] * (1 - wx) + map[y1 * g.inWidth + x1] * wx;
      out[(y + g.crop.top) * g.width + x + g.crop.left] = top * (1 - wy) + bot * wy;
    }
  }
  return out;
}

/** Reads a ground-truth mask as 0/1 at the image's own size (any nonzero pixel is defect). */
export async function readMask(file: string, width: number, height: number): Promise<Uint8Array> {
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new StudioError('UNREADABLE', `Mask ${file} could not be read (${(e as Error).message}).`);
  }
  if (raw.info.width !== width || raw.info.height !== height) {
    // Some datasets store masks at another size; nearest-neighbour keeps them binary.
    raw = await sharp(file).extractChannel(0).resize(width, height, { fit: 'fill', kernel: 'nearest' }).raw().toBuffer({ resolveWithObject: true });
  }
  const m = new Uint8Array(width * height);
  for (let i = 0; i < m.length; i++) m[i] = raw.data[i] > 0 ? 1 : 0;
  return m;
}
