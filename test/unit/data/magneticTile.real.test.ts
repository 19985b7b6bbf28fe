/** Scans the real magnetic-tile dataset when ../shared/data is present (never copied into the repo). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanDataset } from '../../../src/main/data/scan.js';

const root = path.resolve('../shared/data/magnetic-tile');
const present = existsSync(root);
if (!present) console.warn(`SKIPPED magnetic-tile scan: ${root} is absent (real datasets live in ../shared/data on dev machines).`);

describe.skipIf(!present)('magnetic-tile (real data)', () => {
  it('finds 1344 images with the published per-class counts, every one with a same-size mask', async () => {
    const { summary, images } = await scanDataset(root);
    expect(summary.layout).toBe('magnetic-tile');
    expect(summary.byLabel).toEqual({ good: 952, Blowhole: 115, Break: 85, Crack: 57, Fray: 32, Uneven: 103 });
    expect(summary.total).toBe(1344);
    expect(summary.withMask).toBe(1344);
    expect(summary.broken).toEqual([]);
    expect(images.every((i) => i.width > 0 && i.height > 0)).toBe(true);
  });
});
