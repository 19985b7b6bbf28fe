/**
 * Procedural, license-free surface textures for pretraining the default CoRe backbone (and for tests): every
 * pixel comes from this script and a seed, so the data can be regenerated anywhere and redistributed freely.
 * Families (one per image, cycling): fBm value noise (cast/sintered surfaces), brushed/rolled metal (anisotropic
 * streaks), grain/cells (Voronoi, crystalline or ceramic), woven/knurled grids, machined rings/gratings; each with
 * a random illumination gradient, vignette and sensor noise; gray or lightly tinted.
 *
 * Usage: npx tsx scripts/make-textures.ts --out DIR [--count 400] [--size 160] [--seed 0]
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { Rng } from '../src/main/engine/rng.js';

export type TextureFamily = 'fbm' | 'brushed' | 'cells' | 'woven' | 'rings';
export const FAMILIES: TextureFamily[] = ['fbm', 'brushed', 'cells', 'woven', 'rings'];

/** Smooth value noise on a lattice of `cells` per side (bilinear of smoothstepped seeded corner values). */
function valueNoise(rng: Rng, size: number, cells: number, stretchX = 1, stretchY = 1): Float32Array {
  const gx = Math.ceil(cells * stretchX) + 2;
  const gy = Math.ceil(cells * stretchY) + 2;
  const lattice = new Float32Array(gx * gy).map(() => rng.next());
  const out = new Float32Array(size * size);
  const s = (t: number) => t * t * (3 - 2 * t);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const fx = (x / size) * cells * stretchX;
      const fy = (y / size) * cells * stretchY;
      const ix = Math.floor(fx);
      const iy = Math.floor(fy);
      const ax = s(fx - ix);
      const ay = s(fy - iy);
      const a = lattice[iy * gx + ix] + (lattice[iy * gx + ix + 1] - lattice[iy * gx + ix]) * ax;
      const b = lattice[(iy + 1) * gx + ix] + (lattice[(iy + 1) * gx + ix + 1] - lattice[(iy + 1) * gx + ix]) * ax;
      out[y * size + x] = a + (b - a) * ay;
    }
  }
  return out;
}

function fbm(rng: Rng, size: number, base: number, octaves: number, stretchX = 1, stretchY = 1): Float32Array {
  const out = new Float32Array(size * size);
  let amp = 1;
  let total = 0;
  for (let o = 0; o < octaves; o++) {
    const n = valueNoise(rng, size, base * 2 ** o, stretchX, stretchY);
    for (let i = 0; i < out.length; i++) out[i] += n[i] * amp;
    total += amp;
    amp *= 0.5;
  }
  for (let i = 0; i < out.length; i++) out[i] /= total;
  return out;
}

function cells(rng: Rng, size: number): Float32Array {
  const n = 8 + rng.int(60);
  const pts = Array.from({ length: n }, () => [rng.next() * size, rng.next() * size, rng.next()] as const);
  const edge = rng.next() < 0.5;
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let d1 = Infinity;
      let d2 = Infinity;
      let v = 0;
      for (const [px, py, pv] of pts) {
        const d = (px - x) ** 2 + (py - y) ** 2;
        if (d < d1) {
          d2 = d1;
          d1 = d;
          v = pv;
        } else if (d < d2) d2 = d;
      }
      out[y * size + x] = edge ? Math.min(1, (Math.sqrt(d2) - Math.sqrt(d1)) / 6) * 0.6 + v * 0.4 : v;
    }
  }
  return out;
}

/** One texture as gray values in [0, 1] before lighting. */
export function texture(family: TextureFamily, rng: Rng, size: number): Float32Array {
  switch (family) {
    case 'fbm':
      return fbm(rng, size, 2 + rng.int(6), 3 + rng.int(3));
    case 'brushed': {
      const t = fbm(rng, size, 2 + rng.int(4), 4, 1, 12 + rng.int(20)); // streaks along x
      return rng.next() < 0.5 ? t : transpose(t, size);
    }
    case 'cells':
      return cells(rng, size);
    case 'woven': {
      const p = 4 + rng.int(12);
      const angle = rng.uniform(0, Math.PI);
      const [c, s] = [Math.cos(angle), Math.sin(angle)];
      const jitter = fbm(rng, size, 4, 2);
      return Float32Array.from({ length: size * size }, (_, i) => {
        const x = i % size;
        const y = Math.floor(i / size);
        const u = (x * c + y * s) / p;
        const v = (-x * s + y * c) / p;
        const w = (Math.floor(u) + Math.floor(v)) % 2 === 0 ? Math.abs(Math.sin(Math.PI * v)) : Math.abs(Math.sin(Math.PI * u));
        return 0.7 * w + 0.3 * jitter[i];
      });
    }
    case 'rings': {
      const cx = rng.uniform(-size, 2 * size);
      const cy = rng.uniform(-size, 2 * size);
      const period = rng.uniform(2, 10);
      const n = fbm(rng, size, 3, 3);
      return Float32Array.from({ length: size * size }, (_, i) => {
        const r = Math.hypot((i % size) - cx, Math.floor(i / size) - cy);
        return 0.5 + 0.35 * Math.sin((2 * Math.PI * r) / period + 4 * n[i]) + 0.15 * (n[i] - 0.5);
      });
    }
  }
}

function transpose(t: Float32Array, size: number): Float32Array {
  const out = new Float32Array(t.length);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) out[x * size + y] = t[y * size + x];
  return out;
}

/** Texture + contrast + illumination gradient + vignette + sensor noise, as RGB bytes. */
export function surfaceImage(index: number, seed: number, size: number): Uint8Array {
  const rng = new Rng((Math.imul(seed + 1, 0x85ebca6b) + index * 0x27d4eb2f) >>> 0);
  const t = texture(FAMILIES[index % FAMILIES.length], rng, size);
  const contrast = rng.uniform(0.3, 1.2);
  const level = rng.uniform(0.25, 0.7);
  const [gx, gy] = [rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3)];
  const vignette = rng.uniform(0, 0.4);
  const noise = rng.uniform(0, 0.04);
  const tint = rng.next() < 0.7 ? [1, 1, 1] : [rng.uniform(0.8, 1.1), rng.uniform(0.8, 1.1), rng.uniform(0.8, 1.1)];
  let mean = 0;
  for (const v of t) mean += v;
  mean /= t.length;
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = x / size - 0.5;
      const v = y / size - 0.5;
      const light = 1 + gx * u * 2 + gy * v * 2 - vignette * (u * u + v * v) * 2;
      const g = (level + (t[y * size + x] - mean) * contrast) * light + rng.normal() * noise;
      for (let c = 0; c < 3; c++) out[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(g * tint[c] * 255)));
    }
  }
  return out;
}

export async function makeTextures(dir: string, count: number, size: number, seed: number): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `texture-${String(i).padStart(5, '0')}-${FAMILIES[i % FAMILIES.length]}.png`);
    await sharp(surfaceImage(i, seed, size), { raw: { width: size, height: size, channels: 3 } }).png().toFile(file);
    files.push(file);
  }
  return files;
}

if (process.argv[1] && path.resolve(process.argv[1]).endsWith(path.join('scripts', 'make-textures.ts'))) {
  const arg = (name: string, fallback: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const out = arg('out', '');
  if (!out) {
    console.error('Usage: npx tsx scripts/make-textures.ts --out DIR [--count 400] [--size 160] [--seed 0]');
    process.exit(2);
  }
  const files = await makeTextures(path.resolve(out), Number(arg('count', '400')), Number(arg('size', '160')), Number(arg('seed', '0')));
  console.log(JSON.stringify({ out: path.resolve(out), images: files.length }));
}
