/**
 * One decode per inspected PNG (src/main/review/viewImage.ts): the model's input made from the shared pixels must be
 * the tensor made from the file, and the view JPEG that ThumbnailCache.put writes from them the one its get() makes from the file; formats whose model decode
 * differs (JPEG shrinks on load, 16-bit PNG) must fall back to decoding the file.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessImage, type PreprocessSpec } from '../../../src/main/data/preprocess.js';
import { ThumbnailCache } from '../../../src/main/data/thumbnails.js';
import { decodeForModelAndView } from '../../../src/main/review/viewImage.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ds-view-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Noisy pixels, so resampling differences would show. */
function noise(width: number, height: number, channels: number, seed: number): Buffer {
  const b = Buffer.alloc(width * height * channels);
  let s = seed;
  for (let i = 0; i < b.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    b[i] = s >>> 24;
  }
  return b;
}

async function png(name: string, width: number, height: number, channels: 1 | 3 | 4, opts: { palette?: boolean; depth16?: boolean } = {}): Promise<string> {
  const file = path.join(dir, name);
  let img = sharp(noise(width, height, channels, width + channels), { raw: { width, height, channels } });
  if (opts.depth16) img = img.toColourspace(channels === 1 ? 'grey16' : 'rgb16');
  await img.png({ palette: opts.palette ?? false }).toFile(file);
  return file;
}

const specs: PreprocessSpec[] = [
  { fit: 'stretch', size: 64, multiple: 32, maxLong: 512 },
  { fit: 'short-side', size: 64, multiple: 32, maxLong: 512 },
  { fit: 'center-crop', size: 64, multiple: 32, maxLong: 512 },
];

describe('one decode for model input and view', () => {
  it.each([
    ['grey', 1, {}],
    ['rgb', 3, {}],
    ['rgba', 4, {}],
    ['palette', 3, { palette: true }],
  ] as const)('a %s PNG gives the model the same tensor from its pixels as from the file', async (name, channels, opts) => {
    const file = await png(`${name}.png`, 300, 200, channels, opts);
    const pixels = await decodeForModelAndView(file);
    expect(pixels).not.toBeNull();
    for (const spec of specs) {
      const fromFile = await preprocessImage(file, spec);
      const fromPixels = await preprocessImage(pixels!, spec);
      expect(fromPixels.geometry).toEqual(fromFile.geometry);
      expect(Buffer.from(fromPixels.data).equals(Buffer.from(fromFile.data))).toBe(true);
    }
  });

  it('writes the view the thumbnail cache would write from the file', async () => {
    const file = await png('view.png', 1500, 700, 3);
    const cache = new ThumbnailCache({ cacheDir: path.join(dir, 'thumbs'), size: 1024, quality: 85, concurrency: 1 });
    const st = { absPath: file, bytes: 1, mtimeMs: 1 };
    const viaCache = await readFile(await cache.get(st));
    const shared = new ThumbnailCache({ cacheDir: path.join(dir, 'views'), size: 1024, quality: 85, concurrency: 1 });
    const mine = await readFile(await shared.put(st, (await decodeForModelAndView(file))!));
    expect(mine.equals(viaCache)).toBe(true);
    expect((await sharp(mine).metadata()).width).toBe(1024);
  });

  it('leaves JPEGs, 16-bit PNGs and unreadable files to the file path', async () => {
    const jpg = path.join(dir, 'a.jpg');
    await sharp(noise(64, 64, 3, 1), { raw: { width: 64, height: 64, channels: 3 } }).jpeg().toFile(jpg);
    expect(await decodeForModelAndView(jpg)).toBeNull();
    expect(await decodeForModelAndView(await png('deep.png', 32, 32, 1, { depth16: true }))).toBeNull();
    expect(await decodeForModelAndView(path.join(dir, 'missing.png'))).toBeNull();
  });
});
