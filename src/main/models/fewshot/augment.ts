/**
 * Augmentation for few-shot fine-tuning, on planar arrays ([C, H, W] row-major): dihedral transforms (flips,
 * rot90 = transpose + flip), crops, brightness/contrast, and the defect fraction of each head-grid cell.
 * Image-level augmentations run before the frozen backbone (a few views per labelled image); the cheap ones
 * (grid crops, dihedral) run again on the cached features every step, so no two batches are alike.
 */
import type { Rng } from '../../engine/rng.js';

type Planar = Uint8Array | Float32Array;

export interface Dihedral {
  transpose: boolean;
  flipH: boolean;
  flipV: boolean;
}

export function randomDihedral(rng: Rng): Dihedral {
  return { transpose: rng.next() < 0.5, flipH: rng.next() < 0.5, flipV: rng.next() < 0.5 };
}

/** Applies `d` to `src` [C,H,W]; the result is [C,H,W] or [C,W,H] when transposed. */
export function dihedral<T extends Planar>(src: T, C: number, H: number, W: number, d: Dihedral): { data: T; H: number; W: number } {
  const oH = d.transpose ? W : H;
  const oW = d.transpose ? H : W;
  const out = new (src.constructor as new (n: number) => T)(src.length);
  for (let c = 0; c < C; c++) {
    const si = c * H * W;
    const so = c * oH * oW;
    for (let y = 0; y < oH; y++) {
      const yy = d.flipV ? oH - 1 - y : y;
      for (let x = 0; x < oW; x++) {
        const xx = d.flipH ? oW - 1 - x : x;
        out[so + y * oW + x] = d.transpose ? src[si + xx * W + yy] : src[si + yy * W + xx];
      }
    }
  }
  return { data: out, H: oH, W: oW };
}

/** The [top, top+h) x [left, left+w) window of src [C,H,W], written into `out` at offset `at` (or a new array). */
export function crop<T extends Planar>(src: T, C: number, H: number, W: number, top: number, left: number, h: number, w: number, out?: T, at = 0): T {
  const dst = out ?? new (src.constructor as new (n: number) => T)(C * h * w);
  for (let c = 0; c < C; c++)
    for (let y = 0; y < h; y++) {
      const s = c * H * W + (top + y) * W + left;
      dst.set(src.subarray(s, s + w) as never, at + c * h * w + y * w);
    }
  return dst;
}

/** (x - mean) * contrast + mean + brightness, clamped to 0..255, over uint8 planes. */
export function brightnessContrast(src: Uint8Array, brightness: number, contrast: number): Uint8Array {
  let mean = 0;
  for (let i = 0; i < src.length; i++) mean += src[i];
  mean /= Math.max(1, src.length);
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = Math.max(0, Math.min(255, Math.round((src[i] - mean) * contrast + mean + brightness)));
  return out;
}

export interface View {
  image: Uint8Array; // [3, H, W]
  mask: Uint8Array; // [H, W]
  H: number;
  W: number;
}

/**
 * One view of a labelled image: a window of at most `maxSide` pixels per side (a multiple of `multiple`; 60-100%
 * of that when `augment`), over a defect pixel 80% of the time so most views keep a positive; with `augment`,
 * also a random dihedral transform (flips, rot90) and brightness/contrast (±25 grey levels, contrast x0.7-1.3).
 * The window bounds the feature cache: 1 500 views cost ~1.5 MB each at stride 4, whatever the image size.
 */
export function randomView(v: View, rng: Rng, multiple: number, maxSide: number, augment: boolean): View {
  let { image, mask, H, W } = v;
  const side = (n: number) => {
    const limit = Math.min(n, Math.max(multiple, Math.floor(maxSide / multiple) * multiple));
    return augment ? Math.max(multiple, Math.floor((limit * rng.uniform(0.6, 1)) / multiple) * multiple) : limit;
  };
  const h = side(H);
  const w = side(W);
  if (h < H || w < W) {
    const positives: number[] = [];
    for (let i = 0; i < mask.length; i += 3) if (mask[i]) positives.push(i);
    let top = rng.int(H - h + 1);
    let left = rng.int(W - w + 1);
    if (positives.length && rng.next() < 0.8) {
      const p = positives[rng.int(positives.length)];
      top = Math.max(0, Math.min(H - h, Math.floor(p / W) - rng.int(h)));
      left = Math.max(0, Math.min(W - w, (p % W) - rng.int(w)));
    }
    image = crop(image, 3, H, W, top, left, h, w);
    mask = crop(mask, 1, H, W, top, left, h, w);
    H = h;
    W = w;
  }
  if (!augment) return { image, mask, H, W };
  const d = randomDihedral(rng);
  const im = dihedral(image, 3, H, W, d);
  const mk = dihedral(mask, 1, H, W, d);
  return { image: brightnessContrast(im.data, rng.uniform(-25, 25), rng.uniform(0.7, 1.3)), mask: mk.data, H: im.H, W: im.W };
}

/** Defect fraction of every stride x stride cell: the head's soft target [H/stride, W/stride]. */
export function gridTargets(mask: Uint8Array, H: number, W: number, stride: number): Float32Array {
  const h = Math.floor(H / stride);
  const w = Math.floor(W / stride);
  const out = new Float32Array(h * w);
  for (let y = 0; y < h * stride; y++)
    for (let x = 0; x < w * stride; x++) if (mask[y * W + x]) out[Math.floor(y / stride) * w + Math.floor(x / stride)] += 1;
  const area = stride * stride;
  for (let i = 0; i < out.length; i++) out[i] /= area;
  return out;
}
