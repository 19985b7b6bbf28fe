import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { geometryFor, preprocessImage, toImageGeometry } from '../../../src/main/data/preprocess.js';
import { splitForTraining } from '../../../src/main/models/split.js';
import type { ImageRecord } from '../../../src/shared/dataset.js';

const spec = { fit: 'short-side' as const, size: 256, multiple: 16, maxLong: 768 };

describe('preprocess', () => {
  it('keeps the aspect ratio on the short side, rounded to the stride multiple', () => {
    // 600 x 250: scale 256/250 -> 614.4 x 256 -> 608 x 256 (multiples of 16)
    expect(geometryFor(600, 250, spec)).toMatchObject({ inWidth: 608, inHeight: 256 });
    expect(geometryFor(300, 300, { ...spec, fit: 'stretch' })).toMatchObject({ inWidth: 256, inHeight: 256 });
    expect(geometryFor(4000, 250, spec).inWidth).toBeLessThanOrEqual(768);
  });

  it('replicates grayscale into 3 identical planes and keeps RGB order', async () => {
    const gray = await sharp(Buffer.from([10, 20, 30, 40]), { raw: { width: 2, height: 2, channels: 1 } }).png().toBuffer();
    const g = await preprocessImage(gray, { fit: 'stretch', size: 2, multiple: 1, maxLong: 8 });
    expect(Array.from(g.data)).toEqual([10, 20, 30, 40, 10, 20, 30, 40, 10, 20, 30, 40]);
    // 2x2 RGB pixels red, green, blue, white -> planes R [255,0,0,255], G [0,255,0,255], B [0,0,255,255]
    const rgb = await sharp(Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]), { raw: { width: 2, height: 2, channels: 3 } }).png().toBuffer();
    const c = await preprocessImage(rgb, { fit: 'stretch', size: 2, multiple: 1, maxLong: 8 });
    expect(Array.from(c.data)).toEqual([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255]);
  });

  it('maps a model-grid map back onto the original image size', () => {
    const g = geometryFor(8, 4, { fit: 'stretch', size: 2, multiple: 1, maxLong: 8 });
    const back = toImageGeometry(Float32Array.from([0, 1, 2, 3]), g);
    expect(back.length).toBe(32);
    expect(back[0]).toBe(0); // top-left corner keeps the top-left value
    expect(back[31]).toBe(3); // bottom-right keeps the bottom-right value
  });

  it('rejects an undecodable file naming it', async () => {
    await expect(preprocessImage(Buffer.from('nope'), spec, 'x/bad.png')).rejects.toThrow(/x\/bad\.png is not a readable image/);
  });
});

describe('splitForTraining', () => {
  const rec = (p: string, label: string, split: ImageRecord['split'] = 'unsplit'): ImageRecord => ({ path: p, label, split, maskPath: null, width: 1, height: 1, bytes: 0, mtimeMs: 0 });
  it('unsplit layouts: seeded 50% of good images train (with a 10% val hold-out), the rest + defects test', () => {
    const images = [...Array.from({ length: 40 }, (_, i) => rec(`good/${i}.png`, 'good')), ...Array.from({ length: 5 }, (_, i) => rec(`crack/${i}.png`, 'crack'))];
    const a = splitForTraining(images, 0);
    expect(a.train.length + a.val.length).toBe(20);
    expect(a.val.length).toBe(2);
    expect(a.test.length).toBe(25);
    expect(new Set([...a.train, ...a.val, ...a.test].map((r) => r.path)).size).toBe(45);
    // same seed, same split regardless of input order
    expect(splitForTraining([...images].reverse(), 0).train.map((r) => r.path)).toEqual(a.train.map((r) => r.path));
    expect(splitForTraining(images, 1).train.map((r) => r.path)).not.toEqual(a.train.map((r) => r.path));
  });
  it('MVTec-style layouts use train/good and test/', () => {
    const s = splitForTraining([rec('train/good/1.png', 'good', 'train'), rec('test/good/1.png', 'good', 'test'), rec('test/crack/1.png', 'crack', 'test')], 0);
    expect(s.train.map((r) => r.path)).toEqual(['train/good/1.png']);
    expect(s.test).toHaveLength(2);
  });
});
