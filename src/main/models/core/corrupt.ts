/**
 * Restorative corruptions (Models Genesis family) on one planar RGB image [3, S, S] in [0, 1], in place:
 * additive noise, blur, local pixel shuffling, cut-paste (a patch of the image copied elsewhere, as in CutPaste:
 * a plausible local defect on a textured surface), in-painting (boxes replaced by noise) and out-painting
 * (everything outside one box replaced by noise). Every random choice comes from the Rng passed in, so a corruption is
 * deterministic given a seed (tested), which keeps resumed pretraining runs identical.
 */
import { Rng } from '../../engine/rng.js';

export type Corruption = 'noise' | 'blur' | 'shuffle' | 'cutpaste' | 'inpaint' | 'outpaint';

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

export function addNoise(img: Float32Array, rng: Rng, sigma: number): void {
  for (let i = 0; i < img.length; i++) img[i] = clamp01(img[i] + rng.normal() * sigma);
}

/** Separable box blur of `radius` on each channel plane (edges clamp). */
export function boxBlur(img: Float32Array, size: number, radius: number): void {
  if (radius < 1) return;
  const tmp = new Float32Array(size * size);
  const norm = 1 / (2 * radius + 1);
  for (let c = 0; c < 3; c++) {
    const p = img.subarray(c * size * size, (c + 1) * size * size);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++) s += p[y * size + Math.min(size - 1, Math.max(0, x + k))];
        tmp[y * size + x] = s * norm;
      }
    }
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++) s += tmp[Math.min(size - 1, Math.max(0, y + k)) * size + x];
        p[y * size + x] = s * norm;
      }
    }
  }
}

/** Shuffles the pixels inside `windows` random small windows (same permutation for the three channels). */
export function localShuffle(img: Float32Array, size: number, rng: Rng, windows: number, maxSide: number): void {
  const plane = size * size;
  for (let w = 0; w < windows; w++) {
    const bw = 2 + rng.int(Math.max(1, maxSide - 1));
    const bh = 2 + rng.int(Math.max(1, maxSide - 1));
    const x0 = rng.int(Math.max(1, size - bw));
    const y0 = rng.int(Math.max(1, size - bh));
    const idx: number[] = [];
    for (let y = y0; y < Math.min(size, y0 + bh); y++) for (let x = x0; x < Math.min(size, x0 + bw); x++) idx.push(y * size + x);
    const perm = idx.slice();
    for (let i = perm.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    for (let c = 0; c < 3; c++) {
      const vals = idx.map((i) => img[c * plane + i]);
      perm.forEach((dst, k) => (img[c * plane + dst] = vals[k]));
    }
  }
}

/**
 * Copies a random box (1/8 to 1/4 of the side) of the image to another random place, optionally mirrored: the
 * texture is locally right but out of place, which the decoder must notice and undo from the context.
 */
export function cutPaste(img: Float32Array, size: number, rng: Rng): void {
  const plane = size * size;
  const bw = Math.max(2, Math.round(size * rng.uniform(0.125, 0.25)));
  const bh = Math.max(2, Math.round(size * rng.uniform(0.125, 0.25)));
  const sx = rng.int(size - bw + 1);
  const sy = rng.int(size - bh + 1);
  const dx = rng.int(size - bw + 1);
  const dy = rng.int(size - bh + 1);
  const mirror = rng.next() < 0.5;
  for (let c = 0; c < 3; c++) {
    const p = img.subarray(c * plane, (c + 1) * plane);
    const patch = new Float32Array(bw * bh);
    for (let y = 0; y < bh; y++) for (let x = 0; x < bw; x++) patch[y * bw + x] = p[(sy + y) * size + sx + (mirror ? bw - 1 - x : x)];
    for (let y = 0; y < bh; y++) for (let x = 0; x < bw; x++) p[(dy + y) * size + dx + x] = patch[y * bw + x];
  }
}

function fillNoise(img: Float32Array, size: number, rng: Rng, inside: (x: number, y: number) => boolean): void {
  const plane = size * size;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (!inside(x, y)) continue;
      const v = rng.next();
      for (let c = 0; c < 3; c++) img[c * plane + y * size + x] = v;
    }
  }
}

/** Replaces `boxes` random boxes (1/8 to 1/4 of the side) with uniform noise: the decoder must fill them in from context. */
export function inPaint(img: Float32Array, size: number, rng: Rng, boxes: number): void {
  for (let b = 0; b < boxes; b++) {
    const bw = Math.round(size * rng.uniform(0.125, 0.25));
    const bh = Math.round(size * rng.uniform(0.125, 0.25));
    const x0 = rng.int(size - bw + 1);
    const y0 = rng.int(size - bh + 1);
    fillNoise(img, size, rng, (x, y) => x >= x0 && x < x0 + bw && y >= y0 && y < y0 + bh);
  }
}

/** Keeps one box (40-70% of the side) and replaces everything outside it with noise: the decoder extrapolates. */
export function outPaint(img: Float32Array, size: number, rng: Rng): void {
  const bw = Math.round(size * rng.uniform(0.4, 0.7));
  const bh = Math.round(size * rng.uniform(0.4, 0.7));
  const x0 = rng.int(size - bw + 1);
  const y0 = rng.int(size - bh + 1);
  fillNoise(img, size, rng, (x, y) => !(x >= x0 && x < x0 + bw && y >= y0 && y < y0 + bh));
}

/**
 * The restorative corruption of one image: noise (p 0.5), blur (p 0.3), local shuffling (p 0.5), cut-paste
 * (p 0.5), then in- or out-painting (p 0.8, 50/50). At least one corruption is always applied. Returns the ones applied, in order.
 */
export function corrupt(img: Float32Array, size: number, rng: Rng): Corruption[] {
  const applied: Corruption[] = [];
  if (rng.next() < 0.5) {
    addNoise(img, rng, rng.uniform(0.02, 0.08));
    applied.push('noise');
  }
  if (rng.next() < 0.3) {
    boxBlur(img, size, 1 + rng.int(2));
    applied.push('blur');
  }
  if (rng.next() < 0.5) {
    localShuffle(img, size, rng, 4 + rng.int(Math.max(1, size >> 3)), Math.max(3, size >> 4));
    applied.push('shuffle');
  }
  if (rng.next() < 0.5) {
    cutPaste(img, size, rng);
    applied.push('cutpaste');
  }
  const paint = rng.next();
  if (paint < 0.4 || applied.length === 0) {
    inPaint(img, size, rng, 1 + rng.int(4));
    applied.push('inpaint');
  } else if (paint < 0.8) {
    outPaint(img, size, rng);
    applied.push('outpaint');
  }
  return applied;
}

/** corrupt() with its own Rng from `seed`: the same seed always gives the same corrupted image. */
export function corruptSeeded(img: Float32Array, size: number, seed: number): Corruption[] {
  return corrupt(img, size, new Rng(seed));
}
