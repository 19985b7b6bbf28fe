/**
 * The annotations API through the real router, datasets service, sharp and file system: save/load round trip,
 * masks that came with the dataset, bad masks, read-only folders, export layouts and conflicts.
 */
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calls, type CallName, type CallOutput } from '../../../src/shared/api.js';
import { decodeMaskBytes, encodeMaskBytes, type AnnotationClass } from '../../../src/shared/contract/annotations.js';
import { createStudioApp, type StudioApp } from '../../../src/main/router/app.js';
import { interpretMaskImage } from '../../../src/renderer/editor/mask/io.js';
import { makeMvtecDataset } from '../../e2e/fixtures/mvtecDataset.js';

let tmp: string;
let app: StudioApp;
let datasetId: string;
let root: string;

const CLASSES: AnnotationClass[] = [
  { id: 1, name: 'crack', color: [255, 48, 64] },
  { id: 2, name: 'scratch', color: [64, 160, 255] },
];
const SIZE = 64;
const isRoot = process.getuid?.() === 0;

async function call<N extends CallName>(name: N, input: unknown): Promise<CallOutput<N>> {
  const r = await app.router.dispatch(name, input);
  if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code, details: r.error.details });
  return calls[name].output.parse(r.value) as CallOutput<N>;
}

async function failure(name: CallName, input: unknown) {
  const r = await app.router.dispatch(name, input);
  expect(r.ok).toBe(false);
  if (r.ok) throw new Error('expected a failure');
  return r.error;
}

/** A class-index mask with a class-1 rectangle and a class-2 rectangle. */
function paintedMask(): Uint8Array {
  const m = new Uint8Array(SIZE * SIZE);
  for (let y = 4; y < 10; y++) for (let x = 4; x < 20; x++) m[y * SIZE + x] = 1;
  for (let y = 30; y < 40; y++) for (let x = 30; x < 33; x++) m[y * SIZE + x] = 2;
  return m;
}

/** Pixels of a PNG that must be stored as one 8-bit grey channel (the check is on the file, not the decode). */
async function readGrey(file: string): Promise<Buffer> {
  const meta = await sharp(file).metadata();
  expect(meta.channels, file).toBe(1);
  expect(meta.depth, file).toBe('uchar');
  return sharp(file).toColourspace('b-w').raw().toBuffer();
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ds-annotations-'));
  root = path.join(tmp, 'tiles');
  await makeMvtecDataset(root, { size: SIZE, trainGood: 2, testGood: 1, defects: { crack: 2 }, regions: { crack: { x: 8, y: 8, width: 16, height: 8 } }, brokenFiles: [] });
  app = await createStudioApp({ mode: 'browser', workspace: path.join(tmp, 'ws'), version: 'test', executionProvider: async () => ({ name: 'cpu', skipped: [] }) });
  datasetId = (await call('datasets.open', { root })).id;
});
afterAll(async () => {
  await app?.close();
  await chmod(path.join(tmp, 'ro'), 0o755).catch(() => undefined);
  await rm(tmp, { recursive: true, force: true });
});

describe('annotations.save / load', () => {
  it('writes a single-channel class-index PNG in the hidden masks folder and loads it back', async () => {
    const mask = paintedMask();
    const saved = await call('annotations.save', { datasetId, imagePath: 'test/good/000.png', mask: encodeMaskBytes(mask, SIZE, SIZE), classes: CLASSES });
    expect(saved.file).toBe('.defect-studio/masks/test/good/000.png.png');
    expect(Buffer.compare(await readGrey(path.join(root, saved.file)), Buffer.from(mask))).toBe(0);
    // No temp file is left next to it.
    expect((await readdir(path.join(root, '.defect-studio/masks/test/good'))).filter((f) => f.startsWith('.'))).toEqual([]);

    const loaded = await call('annotations.load', { datasetId, imagePath: 'test/good/000.png' });
    expect(loaded.source).toBe('studio');
    expect(loaded.classes).toEqual(CLASSES);
    expect(Buffer.compare(Buffer.from(decodeMaskBytes(loaded.mask!)), Buffer.from(mask))).toBe(0);
    expect(await call('annotations.list', { datasetId })).toEqual([{ imagePath: 'test/good/000.png', file: saved.file }]);
  });

  it('a rescan does not list the masks folder as images', async () => {
    const before = (await call('datasets.images', { datasetId })).total;
    await call('datasets.rescan', { datasetId });
    expect((await call('datasets.images', { datasetId })).total).toBe(before);
  });

  it("loads the dataset's own MVTec mask as the starting mask when no studio mask exists", async () => {
    const loaded = await call('annotations.load', { datasetId, imagePath: 'test/crack/000.png', maskPath: 'ground_truth/crack/000_mask.png' });
    expect(loaded.source).toBe('dataset');
    const m = loaded.mask!;
    const mask = interpretMaskImage({ data: decodeMaskBytes(m), width: m.width, height: m.height, channels: m.channels }, { width: SIZE, height: SIZE }, CLASSES, 1, loaded.file!);
    let set = 0;
    for (const v of mask) set += v === 1 ? 1 : 0;
    expect(set).toBe(16 * 8);
  });

  it('says none when there is no mask at all', async () => {
    expect(await call('annotations.load', { datasetId, imagePath: 'train/good/000.png' })).toMatchObject({ source: 'none', mask: null });
  });

  it('refuses a wrong-size dataset mask with a sentence naming the file and both sizes', async () => {
    const bad = path.join(root, 'ground_truth/crack/001_mask.png');
    await sharp(Buffer.alloc(32 * 32, 255), { raw: { width: 32, height: 32, channels: 1 } }).png().toFile(bad);
    const loaded = await call('annotations.load', { datasetId, imagePath: 'test/crack/001.png', maskPath: 'ground_truth/crack/001_mask.png' });
    const m = loaded.mask!;
    expect(() => interpretMaskImage({ data: decodeMaskBytes(m), width: m.width, height: m.height, channels: m.channels }, { width: SIZE, height: SIZE }, CLASSES, 1, loaded.file!)).toThrow(
      /001_mask\.png is 32 x 32 but its image is 64 x 64/,
    );
  });

  it('refuses paths outside the dataset and masks with unknown class ids', async () => {
    expect((await failure('annotations.save', { datasetId, imagePath: '../escape.png', mask: encodeMaskBytes(new Uint8Array(4), 2, 2), classes: CLASSES })).code).toBe('FORBIDDEN_PATH');
    expect((await failure('annotations.load', { datasetId, imagePath: 'x.png', maskPath: '../../etc/passwd' })).code).toBe('FORBIDDEN_PATH');
    const err = await failure('annotations.save', { datasetId, imagePath: 'test/good/000.png', mask: encodeMaskBytes(new Uint8Array([0, 7, 0, 0]), 2, 2), classes: CLASSES });
    expect(err).toMatchObject({ code: 'BAD_REQUEST' });
    expect(err.message).toContain('class id 7');
  });

  it('a dataset folder where the masks folder cannot be created fails the save with IO_ERROR naming the file', async () => {
    const blocked = path.join(tmp, 'blocked');
    await makeMvtecDataset(blocked, { size: 16, trainGood: 1, testGood: 1, defects: {}, regions: {}, brokenFiles: [] });
    await writeFile(path.join(blocked, '.defect-studio'), 'not a folder');
    const id = (await call('datasets.open', { root: blocked })).id;
    const err = await failure('annotations.save', { datasetId: id, imagePath: 'test/good/000.png', mask: encodeMaskBytes(new Uint8Array(256), 16, 16), classes: CLASSES });
    expect(err.code).toBe('IO_ERROR');
    expect(err.message).toContain('test/good/000.png.png');
  });

  it.skipIf(isRoot)('a read-only dataset folder fails the save with IO_ERROR and keeps the previous mask', async () => {
    const ro = path.join(tmp, 'ro');
    await makeMvtecDataset(ro, { size: 16, trainGood: 1, testGood: 1, defects: {}, regions: {}, brokenFiles: [] });
    const id = (await call('datasets.open', { root: ro })).id;
    await chmod(ro, 0o555);
    const err = await failure('annotations.save', { datasetId: id, imagePath: 'test/good/000.png', mask: encodeMaskBytes(new Uint8Array(256), 16, 16), classes: CLASSES });
    expect(err.code).toBe('IO_ERROR');
    expect(err.message).toMatch(/permission denied|read-only/);
  });
});

describe('annotations.export', () => {
  it('writes MVTec and class-index layouts with a summary, asks before overwriting, refuses outside roots', async () => {
    const mask = paintedMask();
    await call('annotations.save', { datasetId, imagePath: 'test/crack/000.png', mask: encodeMaskBytes(mask, SIZE, SIZE), classes: CLASSES });
    const { target } = await call('annotations.exportTarget', { datasetId });
    expect(target.startsWith(path.join(tmp, 'ws'))).toBe(true);

    const done = await call('annotations.export', { datasetId, target, classes: CLASSES });
    if (done.status !== 'done') throw new Error('expected done');
    // test/good/000.png and test/crack/000.png share the name 000: their MVTec files use the whole path.
    const crack = await readGrey(path.join(target, 'ground_truth/crack/test_crack_000_mask.png'));
    expect(crack[5 * SIZE + 5]).toBe(255);
    expect(crack[35 * SIZE + 31]).toBe(0);
    const scratch = await readGrey(path.join(target, 'ground_truth/scratch/test_crack_000_mask.png'));
    expect(scratch[35 * SIZE + 31]).toBe(255);
    const index = await readGrey(path.join(target, 'class_index/test/crack/000.png'));
    expect(Buffer.compare(index, Buffer.from(mask))).toBe(0);

    const summary = JSON.parse(await readFile(path.join(target, 'summary.json'), 'utf8'));
    expect(summary.images.map((i: { path: string }) => i.path)).toEqual(['test/crack/000.png', 'test/good/000.png']);
    expect(summary.classes).toEqual([
      { ...CLASSES[0], pixels: 2 * 16 * 6, images: 2 },
      { ...CLASSES[1], pixels: 2 * 3 * 10, images: 2 },
    ]);

    const again = await call('annotations.export', { datasetId, target, classes: CLASSES });
    expect(again.status).toBe('conflict');
    expect((await call('annotations.export', { datasetId, target, classes: CLASSES, overwrite: true })).status).toBe('done');

    expect((await failure('annotations.export', { datasetId, target: path.join(os.tmpdir(), '..', 'elsewhere'), classes: CLASSES })).code).toBe('FORBIDDEN_PATH');
  });

  it.skipIf(isRoot)('a read-only target is an IO_ERROR marked readOnly, so the UI can offer another folder', async () => {
    const target = path.join(tmp, 'ws', 'locked');
    await mkdir(target, { recursive: true });
    await chmod(target, 0o555);
    try {
      const err = await failure('annotations.export', { datasetId, target: path.join(target, 'out'), classes: CLASSES });
      expect(err.code).toBe('IO_ERROR');
      expect(err.details).toMatchObject({ readOnly: true });
      expect(err.message).toContain('Choose another export folder');
    } finally {
      await chmod(target, 0o755);
    }
  });

  it('a target below a file (cannot be created) is also an IO_ERROR marked readOnly', async () => {
    const file = path.join(tmp, 'ws', 'plain-file');
    await writeFile(file, 'x');
    const err = await failure('annotations.export', { datasetId, target: path.join(file, 'out'), classes: CLASSES });
    expect(err).toMatchObject({ code: 'IO_ERROR', details: { readOnly: true } });
  });

  it('an export target that is a file is refused with a sentence', async () => {
    const file = path.join(tmp, 'ws', 'a-file');
    await writeFile(file, 'x');
    expect((await failure('annotations.export', { datasetId, target: file, classes: CLASSES })).message).toContain('is a file, not a folder');
  });
});

describe('annotations classes (rename / delete)', () => {
  const IMAGE = 'test/good/000.png'; // saved above with class 1 (6 x 16 px) and class 2 (10 x 3 px)

  it('counts which saved masks paint which class', async () => {
    const usage = await call('annotations.classUsage', { datasetId });
    expect(usage.find((u) => u.classId === 1)).toMatchObject({ images: expect.arrayContaining([IMAGE]) });
    const scratch = usage.find((u) => u.classId === 2)!;
    expect(scratch.images).toContain(IMAGE);
    expect(scratch.pixels).toBe(30 * scratch.images.length); // every saved mask here is paintedMask()
  });

  it('refuses to delete a class a saved mask still paints, naming it and the image; the list stays', async () => {
    const before = (await call('annotations.classes', { datasetId })).classes;
    const err = await failure('annotations.setClasses', { datasetId, classes: [CLASSES[0]] });
    expect(err.code).toBe('INVALID_STATE');
    expect(err.message).toContain('"scratch"');
    expect(err.message).toContain(IMAGE);
    expect((await call('annotations.classes', { datasetId })).classes).toEqual(before);
  });

  it('renames without touching mask pixels, and deletes a class no mask paints', async () => {
    const renamed: AnnotationClass[] = [CLASSES[0], { ...CLASSES[1], name: 'deep scratch' }, { id: 3, name: 'dent', color: [1, 2, 3] }];
    expect((await call('annotations.setClasses', { datasetId, classes: renamed })).classes).toEqual(renamed);
    const loaded = await call('annotations.load', { datasetId, imagePath: IMAGE });
    expect(loaded.classes).toEqual(renamed);
    expect(Buffer.compare(Buffer.from(decodeMaskBytes(loaded.mask!)), Buffer.from(paintedMask()))).toBe(0);
    // "dent" paints nothing: it can go.
    expect((await call('annotations.setClasses', { datasetId, classes: renamed.slice(0, 2) })).classes).toEqual(renamed.slice(0, 2));
    expect((await call('annotations.classes', { datasetId })).classes).toEqual(renamed.slice(0, 2));
    await call('annotations.setClasses', { datasetId, classes: CLASSES });
  });
});
