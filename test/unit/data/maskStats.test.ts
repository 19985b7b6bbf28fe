import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { pngHasNonZero } from '../../../src/main/data/maskStats.js';

const raw = (data: Buffer, width: number, height: number, channels: 1 | 3) => sharp(data, { raw: { width, height, channels } });

describe('pngHasNonZero', () => {
  it('finds a single non-zero pixel anywhere, whatever filter the encoder picked', async () => {
    const w = 37;
    const h = 11;
    for (const [x, y] of [[0, 0], [36, 10], [18, 5], [1, 0]]) {
      const b = Buffer.alloc(w * h);
      b[y * w + x] = 1;
      for (const adaptive of [true, false]) {
        const png = await raw(b, w, h, 1).png({ adaptiveFiltering: adaptive, compressionLevel: 9 }).toBuffer();
        expect(await pngHasNonZero(png, 'm.png'), `${x},${y} adaptive=${adaptive}`).toBe(true);
      }
    }
    expect(await pngHasNonZero(await raw(Buffer.alloc(w * h), w, h, 1).png({ adaptiveFiltering: true }).toBuffer(), 'm.png')).toBe(false);
  });

  it('handles RGB and 16-bit gray; hands palette, alpha and interlaced files back (null)', async () => {
    const rgb = Buffer.alloc(4 * 4 * 3);
    rgb[3 * 9 + 2] = 5;
    expect(await pngHasNonZero(await raw(rgb, 4, 4, 3).png().toBuffer(), 'm.png')).toBe(true);
    expect(await pngHasNonZero(await raw(Buffer.alloc(48), 4, 4, 3).png().toBuffer(), 'm.png')).toBe(false);
    const g = Buffer.alloc(16);
    g[15] = 255;
    expect(await pngHasNonZero(await raw(g, 4, 4, 1).toColourspace('grey16').png().toBuffer(), 'm.png')).toBe(true);
    expect(await pngHasNonZero(await raw(rgb, 4, 4, 3).png({ palette: true }).toBuffer(), 'm.png')).toBeNull();
    expect(await pngHasNonZero(await raw(rgb, 4, 4, 3).ensureAlpha().png().toBuffer(), 'm.png')).toBeNull();
    expect(await pngHasNonZero(await raw(g, 4, 4, 1).png({ progressive: true }).toBuffer(), 'm.png')).toBeNull();
  });

  it('damaged pixel data is UNREADABLE naming the file', async () => {
    const png = await raw(Buffer.alloc(64 * 64, 3), 64, 64, 1).png().toBuffer();
    const bad = Buffer.from(png);
    const idat = bad.indexOf('IDAT');
    bad.fill(0xaa, idat + 8, idat + 28); // inside the zlib stream, past its 2-byte header
    await expect(pngHasNonZero(bad, 'gt.png')).rejects.toThrow(/gt\.png: the PNG pixel data is damaged/);
  });
});
