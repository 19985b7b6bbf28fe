import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { readMapPng, writeMapPng } from '../../../src/main/models/mapPng.js';
import { mulberry32 } from '../../../src/main/models/random.js';
import { decodeGray16Png } from '../../../src/renderer/review/png16.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ds-png16-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('renderer 16-bit PNG decoder', () => {
  it('reads the maps mapPng writes with the same 16-bit values sharp reads back', async () => {
    const rand = mulberry32(3);
    const [w, h] = [97, 61]; // odd sizes: every filter type and row stride are exercised
    const map = new Float32Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) map[y * w + x] = Math.sin(x / 7) * Math.cos(y / 5) + rand() * 0.3 + 1;
    const file = path.join(tmp, 'map.png');
    await writeMapPng(file, map, w, h, 2.5);
    const ref = await readMapPng(file, 2.5);
    const got = await decodeGray16Png(new Uint8Array(readFileSync(file)));
    expect([got.width, got.height]).toEqual([w, h]);
    let maxDiff = 0;
    for (let i = 0; i < got.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs((got.data[i] / 65535) * 2.5 - ref.values[i]));
    expect(maxDiff).toBeLessThan(1e-6);
    // 16 bits, not 8: distinct levels far above 256.
    expect(new Set(got.data).size).toBeGreaterThan(1000);
  });

  it('refuses an 8-bit PNG and a non-PNG with a sentence', async () => {
    const png8 = await sharp(new Uint8Array(16), { raw: { width: 4, height: 4, channels: 1 } }).png().toBuffer();
    await expect(decodeGray16Png(new Uint8Array(png8), 'map x.png')).rejects.toThrow(/map x\.png.*16-bit grayscale.*bit depth 8/);
    await expect(decodeGray16Png(new TextEncoder().encode('not a png at all, just some text here'))).rejects.toThrow(/not a PNG/);
  });
});
