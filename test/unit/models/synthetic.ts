/**
 * Generated surface-defect datasets for model tests: a striped, noisy texture (like brushed or pressed
 * surfaces) with bright Gaussian blobs as defects, written in MVTec AD layout with masks.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { mulberry32 } from '../../../src/main/models/random.js';

export interface SyntheticOptions {
  size?: number;
  trainGood?: number;
  testGood?: number;
  testDefect?: number;
  seed?: number;
}

function texture(size: number, rand: () => number): Float32Array {
  const img = new Float32Array(size * size);
  const phase = rand() * Math.PI * 2;
  const freq = 0.5 + rand() * 0.1;
  const base = 100 + rand() * 30;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) img[y * size + x] = base + 25 * Math.sin(x * freq + phase) + (rand() - 0.5) * 30;
  return img;
}

async function writeGray(file: string, values: Float32Array | Uint8Array, size: number): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const u8 = Uint8Array.from(values, (v) => Math.max(0, Math.min(255, Math.round(v))));
  await sharp(u8, { raw: { width: size, height: size, channels: 1 } }).png().toFile(file);
}

/** Writes root/train/good, root/test/{good,blob}, root/ground_truth/blob/*_mask.png. */
export async function makeBlobDataset(root: string, opts: SyntheticOptions = {}): Promise<void> {
  const size = opts.size ?? 64;
  const rand = mulberry32(opts.seed ?? 1);
  const pad = (i: number) => String(i).padStart(3, '0');
  for (let i = 0; i < (opts.trainGood ?? 12); i++) await writeGray(path.join(root, 'train/good', `${pad(i)}.png`), texture(size, rand), size);
  for (let i = 0; i < (opts.testGood ?? 8); i++) await writeGray(path.join(root, 'test/good', `${pad(i)}.png`), texture(size, rand), size);
  for (let i = 0; i < (opts.testDefect ?? 8); i++) {
    const img = texture(size, rand);
    const mask = new Uint8Array(size * size);
    const r = 3 + rand() * 3;
    const cx = r + 4 + rand() * (size - 2 * r - 8);
    const cy = r + 4 + rand() * (size - 2 * r - 8);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const d2 = (x - cx) ** 2 + (y - cy) ** 2;
        img[y * size + x] += 120 * Math.exp(-d2 / (2 * r * r));
        if (d2 <= r * r) mask[y * size + x] = 255;
      }
    await writeGray(path.join(root, 'test/blob', `${pad(i)}.png`), img, size);
    await writeGray(path.join(root, 'ground_truth/blob', `${pad(i)}_mask.png`), mask, size);
  }
}
