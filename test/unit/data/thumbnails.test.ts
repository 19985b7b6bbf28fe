import { copyFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ThumbnailCache } from '../../../src/main/data/thumbnails.js';
import { jpeg, maskBmp, png, tmpDir, sharedBlankPng } from './fixtures.js';

const tmp = tmpDir('ds-thumbs-');
afterAll(tmp.cleanup);
const src = (name: string) => {
  const absPath = path.join(tmp.dir, name);
  const st = statSync(absPath);
  return { absPath, bytes: st.size, mtimeMs: st.mtimeMs };
};

describe('ThumbnailCache', () => {
  it('generates a JPEG no larger than the size, keeps the aspect ratio, and reuses it', async () => {
    writeFileSync(path.join(tmp.dir, 'wide.png'), await png(400, 100));
    const cache = new ThumbnailCache({ cacheDir: path.join(tmp.dir, 'cache'), size: 64 });
    const file = await cache.get(src('wide.png'));
    expect(file.startsWith(path.join(tmp.dir, 'cache'))).toBe(true);
    expect(await sharp(file).metadata()).toMatchObject({ format: 'jpeg', width: 64, height: 16 });
    const mtime = statSync(file).mtimeMs;
    expect(await cache.get(src('wide.png'))).toBe(file);
    expect(statSync(file).mtimeMs).toBe(mtime); // served from disk, not regenerated
  });

  it('a changed file gets a new key; small images are not enlarged; BMP works', async () => {
    const cache = new ThumbnailCache({ cacheDir: path.join(tmp.dir, 'cache2'), size: 256 });
    writeFileSync(path.join(tmp.dir, 'small.jpg'), await jpeg(40, 30));
    const a = await cache.get(src('small.jpg'));
    expect(await sharp(a).metadata()).toMatchObject({ width: 40, height: 30 });
    writeFileSync(path.join(tmp.dir, 'small.jpg'), await jpeg(50, 30, 3));
    const b = await cache.get(src('small.jpg'));
    expect(b).not.toBe(a);
    expect((await sharp(b).metadata()).width).toBe(50);
    writeFileSync(path.join(tmp.dir, 'label.bmp'), maskBmp(20, 10, true));
    expect(await sharp(await cache.get(src('label.bmp'))).metadata()).toMatchObject({ width: 20, height: 10 });
  });

  it('concurrent requests for the same image share one generation', async () => {
    writeFileSync(path.join(tmp.dir, 'same.png'), await png(300, 300));
    const cache = new ThumbnailCache({ cacheDir: path.join(tmp.dir, 'cache3'), size: 32, concurrency: 1 });
    const files = await Promise.all(Array.from({ length: 8 }, () => cache.get(src('same.png'))));
    expect(new Set(files).size).toBe(1);
  });

  it('a corrupt file is UNREADABLE naming the file', async () => {
    writeFileSync(path.join(tmp.dir, 'bad.jpg'), Buffer.from('garbage garbage garbage'));
    const cache = new ThumbnailCache({ cacheDir: path.join(tmp.dir, 'cache4') });
    await expect(cache.get(src('bad.jpg'))).rejects.toMatchObject({ code: 'UNREADABLE', message: expect.stringContaining('bad.jpg') });
  });

  it('a 20000x20000 image is downsampled while decoding, without allocating its 400 MB of pixels', async () => {
    copyFileSync(await sharedBlankPng(20_000, 20_000), path.join(tmp.dir, 'huge.png'));
    const cache = new ThumbnailCache({ cacheDir: path.join(tmp.dir, 'cache5'), size: 256 });
    const before = process.memoryUsage().rss;
    const file = await cache.get(src('huge.png'));
    expect(await sharp(file).metadata()).toMatchObject({ width: 256, height: 256 });
    // A full decode would add >= 400 MB (one byte per pixel); streaming stays far below.
    expect(process.memoryUsage().rss - before).toBeLessThan(250e6);
  });
});

describe('ThumbnailCache.drain', () => {
  it('resolves only after every queued and running generation has written its file', async () => {
    const cache = new ThumbnailCache({ cacheDir: path.join(tmp.dir, 'cache-drain'), size: 48, concurrency: 1 });
    const sources = [];
    for (let i = 0; i < 4; i++) {
      writeFileSync(path.join(tmp.dir, `drain${i}.png`), await png(200, 200, i));
      sources.push(src(`drain${i}.png`));
    }
    const pending = sources.map((s) => cache.get(s).catch(() => null)); // callers that stopped listening
    await cache.drain();
    for (const s of sources) expect(statSync(cache.pathFor(s)).size).toBeGreaterThan(0);
    await Promise.all(pending);
  });
});
