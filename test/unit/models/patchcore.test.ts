import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/index.js';
import { GraphBuilder } from '../../../src/main/engine/onnx/graph.js';
import { serializeModel } from '../../../src/main/engine/onnx/proto.js';
import { AnomalyModel } from '../../../src/main/models/inference.js';
import { readMapPng } from '../../../src/main/models/mapPng.js';
import { readModelFolder } from '../../../src/main/models/modelFolder.js';
import { makeBlobDataset } from './synthetic.js';
import { capture } from '../helpers/captureIo.js';

let tmp: string;
let data: string;
let modelDir: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ds-patchcore-'));
  data = path.join(tmp, 'blobs');
  modelDir = path.join(tmp, 'model');
  await makeBlobDataset(data, { size: 64, trainGood: 12, testGood: 8, testDefect: 8 });
}, 60_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('PatchCore on generated blob defects (CLI end to end)', () => {
  it('train writes a model folder whose threshold and stats come from held-out good images', async () => {
    const c = capture();
    const code = await main(['train', '--method', 'patchcore', '--data', data, '--out', modelDir, '--image-size', '64', '--seed', '3'], c.io);
    expect(code, c.err.join('\n')).toBe(0);
    const summary = JSON.parse(c.out[0]) as { trainImages: number; valImages: number; threshold: number };
    expect(summary.trainImages).toBe(11);
    expect(summary.valImages).toBe(1);
    const folder = await readModelFolder(modelDir);
    expect(folder.json.method).toBe('patchcore');
    expect(folder.json.thresholdSource).toBe('quantile-good');
    // Neighbourhood and blur chosen at 256 px keep their share of a 64 px image (index.ts aggregateFor).
    expect((folder.json.params as { aggregate: number[] }).aggregate).toEqual([3, 3]);
    expect((folder.json.params as { sigma: number }).sigma).toBe(2);
    expect(folder.json.threshold).toBeGreaterThan(0);
    expect(c.err.some((l) => /features/.test(l))).toBe(true); // progress on stderr
    // One held-out good image: its score is the threshold, and the user is told so.
    expect(c.err.join('\n')).toMatch(/warning: the threshold is the 99% quantile of only 1 good validation image/);
  });

  it('eval finds the blobs: image AUROC >= 0.95 and a high pixel AUROC', async () => {
    const c = capture();
    expect(await main(['eval', '--model', modelDir, '--data', data, '--json'], c.io), c.err.join('\n')).toBe(0);
    const r = JSON.parse(c.out[0]) as { image_auroc: number; pixel_auroc: number; pro: number; testImages: number };
    expect(r.testImages).toBe(16);
    expect(r.image_auroc).toBeGreaterThanOrEqual(0.95);
    expect(r.pixel_auroc).toBeGreaterThanOrEqual(0.9);
    expect(r.pro).toBeGreaterThan(0.5);
  });

  it('inspect writes scores.csv and 16-bit maps at the image size that are higher on the blob', async () => {
    const res = path.join(tmp, 'result');
    const c = capture();
    expect(await main(['inspect', '--model', modelDir, '--data', data, '--out', res], c.io), c.err.join('\n')).toBe(0);
    const lines = readFileSync(path.join(res, 'scores.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('path,score,is_defect');
    expect(lines).toHaveLength(1 + 12 + 8 + 8);
    const row = lines.find((l) => l.startsWith('test/blob/000.png,'))!;
    expect(row.split(',')[2]).toMatch(/^[01]$/);
    const model = await readModelFolder(modelDir);
    const map = await readMapPng(path.join(res, 'maps', 'test/blob/000.png.png'), model.json.mapPng.maxValue);
    expect(map.depth).toBe('ushort');
    expect([map.width, map.height]).toEqual([64, 64]);
    const { data: maskPx } = await sharp(path.join(data, 'ground_truth/blob/000_mask.png')).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    // The map is higher on the blob than elsewhere (the blur spreads it, so compare means).
    let inSum = 0;
    let inN = 0;
    let outSum = 0;
    for (let i = 0; i < map.values.length; i++) {
      if (maskPx[i]) { inSum += map.values[i]; inN++; } else outSum += map.values[i];
    }
    expect(inN).toBeGreaterThan(0);
    expect(inSum / inN).toBeGreaterThan((1.3 * outSum) / (map.values.length - inN));
  });
});

describe('PatchCore --aggregate (CLI)', () => {
  it('reaches the model as given, unscaled by --image-size, and changes its maps', async () => {
    const dir = path.join(tmp, 'model-agg');
    const c = capture();
    expect(await main(['train', '--method', 'patchcore', '--data', data, '--out', dir, '--image-size', '64', '--seed', '3', '--aggregate', '1,5'], c.io), c.err.join('\n')).toBe(0);
    const folder = await readModelFolder(dir);
    expect((folder.json.params as { aggregate: number[] }).aggregate).toEqual([1, 5]);
    // Not a flag that is stored and ignored: the graph differs from the default-neighbourhood model's.
    expect(readFileSync(path.join(dir, 'model.onnx')).equals(readFileSync(path.join(modelDir, 'model.onnx')))).toBe(false);
  });

  it('refuses an even, zero or malformed side, naming the flag (exit 2)', async () => {
    for (const bad of ['4', '0', '3,5,7', 'x', '3,']) {
      const c = capture();
      expect(await main(['train', '--method', 'patchcore', '--data', data, '--out', path.join(tmp, 'm-agg-bad'), '--aggregate', bad], c.io)).toBe(2);
      expect(c.err.join('\n')).toContain(`--aggregate "${bad}"`);
    }
  });

  it('is refused for another method instead of being stored and ignored (exit 2)', async () => {
    const c = capture();
    expect(await main(['train', '--method', 'kd', '--data', data, '--out', path.join(tmp, 'm-agg-kd'), '--aggregate', '3'], c.io)).toBe(2);
    expect(c.err.join('\n')).toContain('--aggregate applies to --method patchcore only');
  });
});

describe('PatchCore with the random-init ResNet backbone', () => {
  it('also finds the blobs (image AUROC >= 0.95)', async () => {
    const dir = path.join(tmp, 'model-resnet');
    const c = capture();
    expect(await main(['train', '--method', 'patchcore', '--data', data, '--out', dir, '--image-size', '64', '--backbone', 'resnet'], c.io), c.err.join('\n')).toBe(0);
    const e = capture();
    expect(await main(['eval', '--model', dir, '--data', data, '--json', '--no-save'], e.io), e.err.join('\n')).toBe(0);
    const r = JSON.parse(e.out[0]) as { image_auroc: number; backbone: string };
    expect(r.backbone).toBe('resnet-random');
    expect(r.image_auroc).toBeGreaterThanOrEqual(0.95);
  });
});

describe('bad input: clear error, exit 2', () => {
  it('an empty training set', async () => {
    const empty = path.join(tmp, 'empty');
    mkdirSync(empty, { recursive: true });
    const c = capture();
    expect(await main(['train', '--method', 'patchcore', '--data', empty, '--out', path.join(tmp, 'm-empty')], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/no readable images|no good training images/);
  });

  it('a dataset with no good images', async () => {
    const bad = path.join(tmp, 'onlybad');
    await makeBlobDataset(bad, { trainGood: 0, testGood: 0, testDefect: 2 });
    const c = capture();
    expect(await main(['train', '--method', 'patchcore', '--data', bad, '--out', path.join(tmp, 'm-bad')], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/no good training images/);
  });

  it('a corrupt model folder', async () => {
    const dir = path.join(tmp, 'corrupt');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'model.json'), '{ "format": "defect-studio-model", ');
    writeFileSync(path.join(dir, 'model.onnx'), 'not a model');
    const c = capture();
    expect(await main(['inspect', '--model', dir, '--data', data, '--out', path.join(tmp, 'r1')], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/model\.json is not valid JSON/);
  });

  it('a model.onnx written by another tool', async () => {
    const dir = path.join(tmp, 'foreign');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'model.json'), readFileSync(path.join(modelDir, 'model.json')));
    const g = new GraphBuilder('other');
    g.node('Identity', [g.input('x', 'float32', [1])], {}, { outputs: ['y'] });
    g.output('y');
    writeFileSync(path.join(dir, 'model.onnx'), serializeModel(g.build({ producer: 'pytorch' })));
    const c = capture();
    expect(await main(['eval', '--model', dir, '--data', data, '--json'], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/was not written by Defect Studio/);
  });

  it('an image tensor with the wrong channel count', async () => {
    const model = await AnomalyModel.load(modelDir);
    const geometry = { width: 64, height: 64, inWidth: 64, inHeight: 64, crop: { left: 0, top: 0, width: 64, height: 64 } };
    await expect(model.run({ data: new Uint8Array(64 * 64), geometry })).rejects.toThrow(/expects 3-channel images .* got 1 channels/);
    await model.release();
  });

  it('an unreadable image file', async () => {
    const f = path.join(tmp, 'broken.png');
    writeFileSync(f, 'garbage');
    const c = capture();
    expect(await main(['inspect', '--model', modelDir, '--data', f, '--out', path.join(tmp, 'r2')], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/broken\.png is not a readable image/);
  });
});
