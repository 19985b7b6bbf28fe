/**
 * Two-view augmentation for CoRe. Every source image is decoded once (sharp), shrunk so its short side is at
 * most 2x the training size, and kept in memory as RGB bytes; views are then sampled in plain JS: random resized
 * crop (bilinear), horizontal/vertical flips and rotation by 90 degrees (folded into the sampling coordinates),
 * brightness/contrast, blur and Gaussian noise. Measured (bench/core.ts, core.augment) at hundreds of views per
 * second on one core, far above what the trainer consumes, so no worker threads are needed.
 * A batch depends only on (seed, step): the image order is a seeded permutation per epoch and each step seeds its
 * own Rng, which is what lets runTrainingLoop resume a run and see the same batches.
 */
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { StudioError } from '../../../shared/errors.js';
import { decodeImage } from '../../data/imageIO.js';
import { Rng } from '../../engine/rng.js';
import { boxBlur, corrupt } from './corrupt.js';
import { CORE_INPUTS } from './network.js';

export interface SourceImage {
  file: string;
  data: Uint8Array; // RGB interleaved
  width: number;
  height: number;
}

export interface LoadedSources {
  images: SourceImage[];
  /** Files not used, with the reason (unreadable, too small). */
  skipped: { file: string; reason: string }[];
}

/** Smallest usable short side for a training size: crops may upscale at most 2x. */
export const minSideFor = (imageSize: number) => Math.ceil(imageSize / 2);

/** Decodes and shrinks every file (4 at a time); unreadable or too-small files are skipped with their reason. */
export async function loadSources(files: string[], imageSize: number, signal?: AbortSignal): Promise<LoadedSources> {
  const images: (SourceImage | null)[] = new Array(files.length).fill(null);
  const skipped: { file: string; reason: string }[] = [];
  const minSide = minSideFor(imageSize);
  const maxSide = 2 * imageSize;
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      if (signal?.aborted) throw new StudioError('CANCELLED', 'Pretraining was cancelled while loading images.');
      const i = next++;
      const file = files[i];
      try {
        const raw = await decodeImage(file, { channels: 3 });
        const short = Math.min(raw.width, raw.height);
        if (short < minSide) {
          skipped.push({ file, reason: `${raw.width}x${raw.height} is too small for ${imageSize} px crops (short side under ${minSide} px)` });
          continue;
        }
        if (short <= maxSide) {
          images[i] = { file, data: raw.data, width: raw.width, height: raw.height };
          continue;
        }
        const k = maxSide / short;
        const { data, info } = await sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: 3 } })
          .resize(Math.max(1, Math.round(raw.width * k)), Math.max(1, Math.round(raw.height * k)))
          .raw()
          .toBuffer({ resolveWithObject: true });
        images[i] = { file, data, width: info.width, height: info.height };
      } catch (e) {
        skipped.push({ file, reason: (e as Error).message });
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return { images: images.filter((x): x is SourceImage => x !== null), skipped };
}

export interface ViewOptions {
  /** Random resized crop: fraction of the source area (torchvision's scale), default [0.2, 1]. */
  scale?: [number, number];
  /** Photometric jitter, blur and noise (off for the restorative target). */
  photometric?: boolean;
}

/**
 * Samples one augmented view of `src` into out[offset .. offset + 3*S*S) as planar RGB in [0, 1].
 */
export function sampleView(src: SourceImage, size: number, rng: Rng, out: Float32Array, offset: number, o: ViewOptions = {}): void {
  const [s0, s1] = o.scale ?? [0.2, 1];
  const area = src.width * src.height * rng.uniform(s0, s1);
  const ratio = Math.exp(rng.uniform(Math.log(3 / 4), Math.log(4 / 3)));
  const cw = Math.min(src.width, Math.max(2, Math.round(Math.sqrt(area * ratio))));
  const ch = Math.min(src.height, Math.max(2, Math.round(Math.sqrt(area / ratio))));
  const x0 = rng.uniform(0, src.width - cw);
  const y0 = rng.uniform(0, src.height - ch);
  const flipX = rng.next() < 0.5;
  const flipY = rng.next() < 0.5;
  const rot = rng.int(4);
  const photometric = o.photometric ?? true;
  const gain = photometric ? rng.uniform(0.7, 1.3) : 1; // contrast
  const bias = photometric ? rng.uniform(-0.15, 0.15) : 0; // brightness
  const plane = size * size;
  const sx = cw / size;
  const sy = ch / size;
  const W = src.width;
  const d = src.data;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Output (x, y) -> rotated/flipped coordinates (u, v) in the crop grid.
      let u = x;
      let v = y;
      if (rot === 1) [u, v] = [y, size - 1 - x];
      else if (rot === 2) [u, v] = [size - 1 - x, size - 1 - y];
      else if (rot === 3) [u, v] = [size - 1 - y, x];
      if (flipX) u = size - 1 - u;
      if (flipY) v = size - 1 - v;
      const fx = Math.min(src.width - 1, Math.max(0, x0 + (u + 0.5) * sx - 0.5));
      const fy = Math.min(src.height - 1, Math.max(0, y0 + (v + 0.5) * sy - 0.5));
      const ix = Math.floor(fx);
      const iy = Math.floor(fy);
      const ax = fx - ix;
      const ay = fy - iy;
      const ix1 = Math.min(src.width - 1, ix + 1);
      const iy1 = Math.min(src.height - 1, iy + 1);
      const p00 = (iy * W + ix) * 3;
      const p01 = (iy * W + ix1) * 3;
      const p10 = (iy1 * W + ix) * 3;
      const p11 = (iy1 * W + ix1) * 3;
      const o0 = offset + y * size + x;
      for (let c = 0; c < 3; c++) {
        const top = d[p00 + c] + (d[p01 + c] - d[p00 + c]) * ax;
        const bot = d[p10 + c] + (d[p11 + c] - d[p10 + c]) * ax;
        out[o0 + c * plane] = (top + (bot - top) * ay) / 255;
      }
    }
  }
  if (!photometric) return;
  const view = out.subarray(offset, offset + 3 * plane);
  let mean = 0;
  for (let i = 0; i < view.length; i++) mean += view[i];
  mean /= view.length;
  for (let i = 0; i < view.length; i++) view[i] = (view[i] - mean) * gain + mean + bias;
  if (rng.next() < 0.3) boxBlur(view, size, 1);
  const sigma = rng.next() < 0.5 ? rng.uniform(0, 0.05) : 0;
  for (let i = 0; i < view.length; i++) {
    const v = view[i] + (sigma > 0 ? rng.normal() * sigma : 0);
    view[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
}

/** Index of the source image in slot `k` (k = step * batch + j): a seeded permutation per pass over the images. */
export class EpochOrder {
  private perms = new Map<number, Uint32Array>();
  constructor(private readonly count: number, private readonly seed: number) {}

  at(k: number): number {
    const epoch = Math.floor(k / this.count);
    let p = this.perms.get(epoch);
    if (!p) {
      if (this.perms.size > 4) this.perms.clear();
      const rng = new Rng((this.seed * 7919 + epoch * 104729 + 17) >>> 0);
      p = Uint32Array.from({ length: this.count }, (_, i) => i);
      for (let i = p.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [p[i], p[j]] = [p[j], p[i]];
      }
      this.perms.set(epoch, p);
    }
    return p[k % this.count];
  }
}

/** Rng of one step: a function of (seed, step) only. */
export const stepRng = (seed: number, step: number) => new Rng((Math.imul(seed + 1, 0x9e3779b1) + step * 2654435761) >>> 0);

export interface BatchOptions {
  /**
   * Standardise every view (its own mean 0.5, std 0.2), as PatchCore, KD and few-shot do to each image in their
   * graphs: the encoder then learns, and its BatchNorm statistics describe, the inputs it will be given. Default true.
   */
  standardise?: boolean;
}

/**
 * The pretraining batch of `step`: two augmented views per image (contrastive), and a lightly augmented crop
 * (original) with its corrupted copy (restorative).
 */
export function makeCoreBatch(images: SourceImage[], order: EpochOrder, step: number, seed: number, batch: number, size: number, o: BatchOptions = {}): Record<string, ort.Tensor> {
  const n = 3 * size * size;
  const v1 = new Float32Array(batch * n);
  const v2 = new Float32Array(batch * n);
  const orig = new Float32Array(batch * n);
  const rng = stepRng(seed, step);
  const std = o.standardise ?? true;
  for (let j = 0; j < batch; j++) {
    const src = images[order.at(step * batch + j)];
    sampleView(src, size, rng, v1, j * n);
    sampleView(src, size, rng, v2, j * n);
    sampleView(src, size, rng, orig, j * n, { scale: [0.3, 1], photometric: false });
    if (!std) continue;
    standardise(v1.subarray(j * n, (j + 1) * n));
    standardise(v2.subarray(j * n, (j + 1) * n));
    const t = orig.subarray(j * n, (j + 1) * n);
    standardise(t);
    // The restorative target stays in the decoder's sigmoid range.
    for (let i = 0; i < t.length; i++) t[i] = t[i] < 0 ? 0 : t[i] > 1 ? 1 : t[i];
  }
  const cor = Float32Array.from(orig);
  for (let j = 0; j < batch; j++) corrupt(cor.subarray(j * n, (j + 1) * n), size, rng);
  const dims = [batch, 3, size, size];
  return {
    [CORE_INPUTS.view1]: new ort.Tensor('float32', v1, dims),
    [CORE_INPUTS.view2]: new ort.Tensor('float32', v2, dims),
    [CORE_INPUTS.corrupted]: new ort.Tensor('float32', cor, dims),
    [CORE_INPUTS.original]: new ort.Tensor('float32', orig, dims),
  };
}

/** PatchCore's photometric standardisation (patchcore/network.ts imageToUnit) of one view: mean 0.5, std 0.2. */
export function standardise(v: Float32Array): void {
  let mean = 0;
  for (let i = 0; i < v.length; i++) mean += v[i];
  mean /= v.length;
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += (v[i] - mean) ** 2;
  const k = 0.2 / Math.sqrt(sq / v.length + 1e-6);
  for (let i = 0; i < v.length; i++) v[i] = (v[i] - mean) * k + 0.5;
}

/**
 * Wraps a batch builder so batch step+1 is built while the trainer runs step: ORT computes on its own threads
 * and the JS thread is otherwise idle during `session.run`. A request for another step (first call, resume)
 * builds synchronously; the result is the same either way because a batch depends on its step only.
 */
export function prefetching<T>(make: (step: number) => T): (step: number) => T {
  let ready: { step: number; batch: T } | null = null;
  return (step) => {
    const batch = ready && ready.step === step ? ready.batch : make(step);
    ready = null;
    setImmediate(() => {
      ready = { step: step + 1, batch: make(step + 1) };
    });
    return batch;
  };
}
