/**
 * Synthetic anomalies for methods trained on good images only (DeSTSeg, Zhang et al., CVPR 2023; masks in the spirit
 * of DRAEM's Perlin regions): KD's denoising student, and any head that learns to segment defects from good images
 * with pasted-in ones. Applied in place to one planar crop [channels, S, S] (3, or 1 for gray pictures) in the training crops' unit space (photometric
 * standardisation: mean ≈ 0.5, std ≈ 0.2, not clamped); the returned mask is the pixel-exact target. Shapes follow magnetic tile's defects: smooth blobs (Perlin-like value noise above a threshold)
 * filled with another image's texture, noise or a brightness shift; thin dark random-walk lines (cracks); small dark
 * discs (blowholes). Every random choice comes from the Rng passed in: deterministic under a seed.
 */
import { Rng } from '../engine/rng.js';

export type AnomalyKind = 'texture' | 'noise' | 'brightness' | 'line' | 'spot';

export interface SynthResult {
  kind: AnomalyKind;
  /** 1 where the image was changed (S·S, row-major). */
  mask: Uint8Array;
}

const smooth = (t: number) => t * t * (3 - 2 * t);

/**
 * Smooth random field in [0, 1) on S x S: the sum of two octaves of value noise (uniform random grids of
 * `cells` and 2·`cells` per side, smoothstep-interpolated), which gives Perlin-like irregular blobs.
 */
function valueNoise(size: number, cells: number, rng: Rng): Float32Array {
  const out = new Float32Array(size * size);
  let weight = 0;
  for (const [c, amp] of [
    [cells, 1],
    [2 * cells, 0.5],
  ] as const) {
    const grid = rng.uniforms((c + 1) * (c + 1), 0, 1);
    for (let y = 0; y < size; y++) {
      const gy = (y / size) * c;
      const y0 = Math.floor(gy);
      const ty = smooth(gy - y0);
      for (let x = 0; x < size; x++) {
        const gx = (x / size) * c;
        const x0 = Math.floor(gx);
        const tx = smooth(gx - x0);
        const a = grid[y0 * (c + 1) + x0] * (1 - tx) + grid[y0 * (c + 1) + x0 + 1] * tx;
        const b = grid[(y0 + 1) * (c + 1) + x0] * (1 - tx) + grid[(y0 + 1) * (c + 1) + x0 + 1] * tx;
        out[y * size + x] += amp * (a * (1 - ty) + b * ty);
      }
    }
    weight += amp;
  }
  for (let i = 0; i < out.length; i++) out[i] /= weight;
  return out;
}

/** A blob mask: the field's top `area` fraction (2-12% of the crop), so the region is never empty. */
function blobMask(size: number, rng: Rng): Uint8Array {
  const field = valueNoise(size, 2 + rng.int(6), rng);
  const area = rng.uniform(0.02, 0.12);
  const sorted = Float32Array.from(field).sort();
  const cut = sorted[Math.min(sorted.length - 1, Math.floor((1 - area) * sorted.length))];
  const mask = new Uint8Array(size * size);
  for (let i = 0; i < field.length; i++) mask[i] = field[i] >= cut ? 1 : 0;
  return mask;
}

/** A crack: a random walk of 0.2-0.6 S steps with a slowly turning heading, 1-3 px wide. */
function lineMask(size: number, rng: Rng): Uint8Array {
  const mask = new Uint8Array(size * size);
  const r = rng.int(2); // half-width 0 or 1 -> 1 or 3 px
  let x = rng.uniform(0.2, 0.8) * size;
  let y = rng.uniform(0.2, 0.8) * size;
  let heading = rng.uniform(0, 2 * Math.PI);
  const steps = Math.round(rng.uniform(0.2, 0.6) * size);
  for (let s = 0; s < steps; s++) {
    const cx = Math.round(x);
    const cy = Math.round(y);
    for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) {
      const px = cx + dx;
      const py = cy + dy;
      if (px >= 0 && px < size && py >= 0 && py < size) mask[py * size + px] = 1;
    }
    heading += rng.normal() * 0.25;
    x += Math.cos(heading);
    y += Math.sin(heading);
    if (x < 0 || x >= size || y < 0 || y >= size) break;
  }
  return mask;
}

/** A blowhole: one ellipse of radius 2-5% of the side. */
function spotMask(size: number, rng: Rng): Uint8Array {
  const mask = new Uint8Array(size * size);
  const rx = Math.max(1.5, rng.uniform(0.02, 0.05) * size);
  const ry = Math.max(1.5, rx * rng.uniform(0.6, 1.4));
  const cx = rng.uniform(0.1, 0.9) * size;
  const cy = rng.uniform(0.1, 0.9) * size;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1) mask[y * size + x] = 1;
  if (!mask.some((v) => v)) mask[Math.floor(cy) * size + Math.floor(cx)] = 1;
  return mask;
}

/**
 * Pastes one synthetic anomaly into `img` [channels, size, size] (in place) and returns its kind and mask. `source`
 * [channels, size, size] is another good image whose texture fills 'texture' blobs. Pixels outside the mask are
 * untouched. `channels` 1 serves gray pictures (EAR); the random draws do not depend on it.
 */
export function pasteAnomaly(img: Float32Array, source: Float32Array, size: number, rng: Rng, channels = 3): SynthResult {
  const plane = size * size;
  const u = rng.next();
  const kind: AnomalyKind = u < 0.3 ? 'texture' : u < 0.45 ? 'noise' : u < 0.6 ? 'brightness' : u < 0.8 ? 'line' : 'spot';
  const mask = kind === 'line' ? lineMask(size, rng) : kind === 'spot' ? spotMask(size, rng) : blobMask(size, rng);
  if (kind === 'texture') {
    // DRAEM's blend: β of the foreign texture, 1 − β of the image itself.
    const beta = rng.uniform(0.5, 1);
    for (let c = 0; c < channels; c++) for (let i = 0; i < plane; i++) if (mask[i]) img[c * plane + i] = (1 - beta) * img[c * plane + i] + beta * source[c * plane + i];
  } else if (kind === 'noise') {
    // Grey noise around the image's normal range (mean 0.5, std 0.2 in unit space).
    for (let i = 0; i < plane; i++) {
      if (!mask[i]) continue;
      const v = 0.5 + rng.normal() * 0.25;
      for (let c = 0; c < channels; c++) img[c * plane + i] = v;
    }
  } else {
    // Cracks and blowholes are dark on magnetic tile; blobs may go either way. ±0.1-0.35 = 0.5-1.75 std.
    const magnitude = rng.uniform(0.1, 0.35);
    const delta = kind === 'brightness' && rng.next() < 0.5 ? magnitude : -magnitude;
    for (let c = 0; c < channels; c++) for (let i = 0; i < plane; i++) if (mask[i]) img[c * plane + i] += delta;
  }
  return { kind, mask };
}
