import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBmp, encodeBmp } from '../../../src/main/data/bmp.js';
import { decodeImage, encodeMaskPng, maskHasDefect, readMask } from '../../../src/main/data/imageIO.js';
import { grayPixels, jpeg, png, tmpDir, sharedBlankPng } from './fixtures.js';

const { dir, cleanup } = tmpDir();
afterAll(cleanup);
const file = (name: string, data: Buffer) => {
  const p = path.join(dir, name);
  writeFileSync(p, data);
  return p;
};

describe('decodeImage', () => {
  it('decodes a gray PNG exactly, and to RGB with three equal channels', async () => {
    const p = file('g.png', await png(5, 3));
    const g = await decodeImage(p, { channels: 1 });
    expect(g).toMatchObject({ width: 5, height: 3, channels: 1 });
    expect([...g.data]).toEqual([...grayPixels(5, 3)]);
    const rgb = await decodeImage(p, { channels: 3 });
    expect(rgb.data.length).toBe(45);
    expect([rgb.data[3], rgb.data[4], rgb.data[5]]).toEqual([7, 7, 7]); // pixel (1,0) = 7
  });

  it('decodes BMP through our own decoder (sharp has no BMP loader)', async () => {
    const px = grayPixels(7, 4);
    const p = file('g.bmp', encodeBmp({ data: px, width: 7, height: 4, channels: 1 }));
    expect([...(await decodeImage(p, { channels: 1 })).data]).toEqual([...px]);
    const rgb = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    const back = decodeBmp(encodeBmp({ data: rgb, width: 2, height: 2, channels: 3 }), 'x.bmp');
    expect(back).toMatchObject({ width: 2, height: 2, channels: 3 });
    expect([...back.data]).toEqual([...rgb]);
  });

  it('refuses an image over the pixel limit from its header, before allocating pixels', async () => {
    const p = await sharedBlankPng(20_000, 20_000);
    const before = process.memoryUsage().rss;
    await expect(decodeImage(p, { channels: 1 })).rejects.toMatchObject({
      code: 'TOO_LARGE',
      message: expect.stringMatching(/blank-20000x20000\.png is 20000x20000 \(400 MP\), over the 100 MP decode limit/),
    });
    expect(process.memoryUsage().rss - before).toBeLessThan(100e6);
  });

  it('names the file when it is corrupt, truncated or missing', async () => {
    const j = await jpeg(64, 64);
    await expect(decodeImage(file('t.jpg', j.subarray(0, 300)), { channels: 1 })).rejects.toMatchObject({
      code: 'UNREADABLE',
      message: expect.stringContaining('t.jpg: truncated JPEG'),
    });
    await expect(decodeImage(path.join(dir, 'nope.png'), { channels: 1 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('nope.png'),
    });
    // Header and tail intact, pixel data destroyed: only a real decode finds it.
    const p = await png(64, 64);
    const damaged = Buffer.from(p);
    damaged.fill(0x55, 41, p.length - 12);
    await expect(decodeImage(file('d.png', damaged), { channels: 1 })).rejects.toMatchObject({
      code: 'UNREADABLE',
      message: expect.stringContaining('d.png could not be decoded'),
    });
  });
});

describe('readMask', () => {
  it('turns gray, RGB, palette, 16-bit and BMP masks into 0/1', async () => {
    const w = 4;
    const h = 2;
    const gray = Buffer.from([0, 255, 0, 0, 0, 0, 1, 0]);
    const expected = [0, 1, 0, 0, 0, 0, 1, 0];
    const rgb = Buffer.alloc(w * h * 3);
    rgb[3 * 1 + 0] = 200; // red at pixel 1
    rgb[3 * 6 + 2] = 1; // faint blue at pixel 6
    const variants: [string, Buffer][] = [
      ['m-gray.png', await sharp(gray, { raw: { width: w, height: h, channels: 1 } }).png().toBuffer()],
      ['m-rgb.png', await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer()],
      ['m-pal.png', await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png({ palette: true, colours: 4, dither: 0 }).toBuffer()],
      ['m-16.png', await sharp(gray, { raw: { width: w, height: h, channels: 1 } }).toColourspace('grey16').png().toBuffer()],
      ['m.bmp', encodeBmp({ data: gray, width: w, height: h, channels: 1 })],
    ];
    for (const [name, data] of variants) {
      const m = await readMask(file(name, data));
      expect([...m.data], name).toEqual(expected);
      expect(m.width).toBe(w);
    }
    const round = await readMask(file('round.png', await encodeMaskPng({ data: Uint8Array.from(expected), width: w, height: h })));
    expect([...round.data]).toEqual(expected);
  });

  it('answers whether a mask has any defect pixel', async () => {
    const empty = await sharp(Buffer.alloc(16), { raw: { width: 4, height: 4, channels: 1 } }).png().toBuffer();
    expect(await maskHasDefect(file('empty.png', empty))).toBe(false);
    const one = Buffer.alloc(16);
    one[15] = 255;
    expect(await maskHasDefect(file('one.png', await sharp(one, { raw: { width: 4, height: 4, channels: 1 } }).png().toBuffer()))).toBe(true);
  });
});
