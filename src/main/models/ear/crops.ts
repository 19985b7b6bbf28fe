/**
 * Training crops of EAR's pictures (the gray, downsampled, standardised images the U-Net sees, with their attention
 * masks), shared by the recovery stage and the discriminative head's stage, and the synthetic defects pasted into
 * them (synthAnomaly.ts, one channel).
 */
import { Rng } from '../../engine/rng.js';
import { pasteAnomaly } from '../synthAnomaly.js';

export interface Picture {
  w: number;
  h: number;
  target: Float32Array;
  mask: Float32Array;
}

export interface CropBatch {
  /** [batch, crop, crop] planes of the pictures. */
  target: Float32Array;
  /** The attention mask of the same crops, plus `randomBoxes` rectangles each. */
  mask: Float32Array;
}

/**
 * `batch` random crops (aligned on the mosaic grid, like whole images at inference; random flips) with their
 * masks. Every draw comes from `rng`, in a fixed order per crop, so a batch depends on the rng's seed only.
 */
export function cropBatch(pictures: Picture[], batch: number, crop: number, align: number, randomBoxes: number, rng: Rng): CropBatch {
  const n = crop * crop;
  const target = new Float32Array(batch * n);
  const mask = new Float32Array(batch * n);
  for (let b = 0; b < batch; b++) {
    const pic = pictures[rng.int(pictures.length)];
    const x0 = rng.int(Math.floor((pic.w - crop) / align) + 1) * align;
    const y0 = rng.int(Math.floor((pic.h - crop) / align) + 1) * align;
    const flipX = rng.next() < 0.5;
    const flipY = rng.next() < 0.5;
    for (let y = 0; y < crop; y++)
      for (let x = 0; x < crop; x++) {
        const sx = x0 + (flipX ? crop - 1 - x : x);
        const sy = y0 + (flipY ? crop - 1 - y : y);
        target[b * n + y * crop + x] = pic.target[sy * pic.w + sx];
        mask[b * n + y * crop + x] = pic.mask[sy * pic.w + sx];
      }
    for (let k = 0; k < randomBoxes; k++) {
      const bw = Math.max(2, Math.round(crop * rng.uniform(0.08, 0.35)));
      const bh = Math.max(2, Math.round(crop * rng.uniform(0.08, 0.35)));
      const bx = rng.int(crop - bw + 1);
      const by = rng.int(crop - bh + 1);
      for (let y = by; y < by + bh; y++) mask.fill(1, b * n + y * crop + bx, b * n + y * crop + bx + bw);
    }
  }
  return { target, mask };
}

/**
 * A copy of `target` ([batch, crop, crop]) with one synthetic defect pasted into each crop with probability
 * `probability`, and the defects' pixel-exact mask (0/1 floats). The 'texture' defects take their texture from
 * the next crop of the batch (with batch 1, the crop rotated by 180°: its own texture from elsewhere).
 */
export function corruptBatch(target: Float32Array, batch: number, crop: number, probability: number, rng: Rng): { corrupted: Float32Array; anomaly: Float32Array } {
  const n = crop * crop;
  const corrupted = Float32Array.from(target);
  const anomaly = new Float32Array(batch * n);
  for (let b = 0; b < batch; b++) {
    if (!(rng.next() < probability)) continue;
    const source = batch > 1 ? target.subarray(((b + 1) % batch) * n, ((b + 1) % batch + 1) * n) : target.slice(b * n, (b + 1) * n).reverse();
    const { mask } = pasteAnomaly(corrupted.subarray(b * n, (b + 1) * n), source, crop, rng, 1);
    for (let i = 0; i < n; i++) anomaly[b * n + i] = mask[i];
  }
  return { corrupted, anomaly };
}
