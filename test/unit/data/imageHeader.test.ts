import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeBmp } from '../../../src/main/data/bmp.js';
import { readImageInfo, readImageInfoSync } from '../../../src/main/data/imageHeader.js';
import { grayPixels, jpeg, png, rgbJpeg, tmpDir, withBigAppSegment } from './fixtures.js';

const { dir, cleanup } = tmpDir();
afterAll(cleanup);

async function info(name: string, data: Buffer) {
  const file = path.join(dir, name);
  writeFileSync(file, data);
  const a = await readImageInfo(file);
  const s = readImageInfoSync(file);
  // Both readers share the parser and must agree; the sync one hands TIFF back to the async one.
  expect(s).toEqual(a.header.ok && a.header.format === 'tiff' ? 'tiff' : a);
  return a;
}

describe('image headers', () => {
  it('reads width and height of PNG, JPEG, BMP, WebP, GIF and TIFF', async () => {
    const raw = { raw: { width: 37, height: 21, channels: 1 as const } };
    const px = grayPixels(37, 21);
    const cases: [string, Buffer][] = [
      ['a.png', await png(37, 21)],
      ['a.jpg', await jpeg(37, 21)],
      ['rgb.jpg', await rgbJpeg(37, 21)],
      ['a.bmp', encodeBmp({ data: px, width: 37, height: 21, channels: 1 })],
      ['a.webp', await sharp(px, raw).webp().toBuffer()],
      ['lossless.webp', await sharp(px, raw).webp({ lossless: true }).toBuffer()],
      ['a.gif', await sharp(px, raw).gif().toBuffer()],
      ['a.tif', await sharp(px, raw).tiff().toBuffer()],
    ];
    for (const [name, data] of cases) {
      const r = await info(name, data);
      expect(r.header, name).toMatchObject({ ok: true, width: 37, height: 21 });
      expect(r.bytes).toBe(data.length);
    }
  });

  it('finds a JPEG frame header that sits after a 60 KB application segment', async () => {
    const r = await info('exif.jpg', withBigAppSegment(await jpeg(50, 40), 60_000));
    expect(r.header).toEqual({ ok: true, format: 'jpeg', width: 50, height: 40 });
  });

  it('reports truncated and corrupt files with a reason instead of throwing', async () => {
    const p = await png(64, 64);
    const j = await jpeg(64, 64);
    const cases: [string, Buffer, RegExp][] = [
      ['trunc.png', p.subarray(0, p.length - 20), /truncated PNG/],
      ['trunc.jpg', j.subarray(0, Math.floor(j.length * 0.7)), /truncated JPEG/],
      ['headonly.jpg', j.subarray(0, 100), /truncated JPEG/],
      ['garbage.png', Buffer.from('this is not an image at all, just text'), /not a recognised image/],
      ['empty.jpg', Buffer.alloc(0), /empty file/],
      ['badihdr.png', Buffer.concat([p.subarray(0, 12), Buffer.from('XXXX'), p.subarray(16)]), /corrupt PNG/],
      ['trunc.bmp', encodeBmp({ data: grayPixels(20, 20), width: 20, height: 20, channels: 1 }).subarray(0, 500), /truncated BMP/],
    ];
    for (const [name, data, reason] of cases) {
      const r = await info(name, data);
      expect(r.header.ok, name).toBe(false);
      expect(!r.header.ok && r.header.reason, name).toMatch(reason);
    }
  });

  it('reports a missing file as unopenable', async () => {
    const r = await readImageInfo(path.join(dir, 'missing.png'));
    expect(r.header).toMatchObject({ ok: false, reason: expect.stringContaining('ENOENT') });
  });
});
