import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../../src/cli/index.js';
import { scanDataset } from '../../../../src/main/data/scan.js';
import { preprocessImage } from '../../../../src/main/data/preprocess.js';
import { fewshot, labelledFor } from '../../../../src/main/models/fewshot/index.js';
import { readModelFolder, writeModelFolder } from '../../../../src/main/models/modelFolder.js';
import { AnomalyModel } from '../../../../src/main/models/inference.js';
import { splitForTraining } from '../../../../src/main/models/split.js';
import type { TrainedModel } from '../../../../src/main/models/types.js';
import { makeBlobDataset } from '../synthetic.js';
import { capture } from '../../helpers/captureIo.js';

let tmp: string;
let data: string;
let baseDir: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ds-fewshot-'));
  data = path.join(tmp, 'blobs');
  baseDir = path.join(tmp, 'base');
  await makeBlobDataset(data, { size: 64, trainGood: 12, testGood: 8, testDefect: 16, seed: 5 });
  const c = capture();
  const code = await main(['train', '--method', 'patchcore', '--data', data, '--out', baseDir, '--image-size', '64', '--seed', '1'], c.io);
  if (code !== 0) throw new Error(c.err.join('\n'));
}, 60_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('finetune: few-shot head on generated blob defects', () => {
  it('with 5 labelled images the loss decreases and the head beats the base map on held-out pixel AP', async () => {
    const out = path.join(tmp, 'fewshot');
    const c = capture();
    const code = await main(['finetune', '--base', baseDir, '--data', data, '--out', out, '--shots', '5', '--seed', '2', '--epochs', '30'], c.io);
    expect(code, c.err.join('\n')).toBe(0);
    const r = JSON.parse(c.out[0]) as Record<string, number>;
    expect(r.shots).toBe(5);
    expect(r.heldOutImages).toBe(8 + 11); // test goods + the 11 unlabelled blobs
    expect(r.lastLoss).toBeLessThan(r.firstLoss * 0.8);
    expect(r.pixel_ap).toBeGreaterThan(r.base_pixel_ap);
    expect(r.pixel_ap).toBeGreaterThan(0.7); // measured 0.91 (base 0.12): the stride-4 grid resolves 3-6 px blobs
    const folder = await readModelFolder(out);
    expect(folder.json.method).toBe('fewshot');
    expect(folder.json.params.shots).toBe(5);
    expect((folder.json.metrics as { heldOut: { pixel_ap: number } }).heldOut.pixel_ap).toBe(r.pixel_ap);
    // Image score: the base model's score over its threshold (the head only segments).
    const [fm, bm] = [await AnomalyModel.load(out), await AnomalyModel.load(baseDir)];
    const img = path.join(data, 'test/blob/000.png');
    const [fr, br] = [await fm.inferFile(img), await bm.inferFile(img)];
    expect(fr.score).toBeCloseTo(br.score / bm.json.threshold, 4);
    expect(Math.max(...fr.map)).toBeLessThanOrEqual(1); // a probability map
    await fm.release();
    await bm.release();
    // The folder works with the unchanged eval command.
    const e = capture();
    expect(await main(['eval', '--model', out, '--data', data, '--json', '--no-save'], e.io), e.err.join('\n')).toBe(0);
    expect(JSON.parse(e.out[0]).pixel_auroc).toBeGreaterThan(0.9);
  }, 60_000);

  it('no masks, masks of the wrong size, or fewer labelled images than --shots: exit 2 with the fix', async () => {
    const empty = path.join(tmp, 'no-masks');
    mkdirSync(empty, { recursive: true });
    let c = capture();
    expect(await main(['finetune', '--base', baseDir, '--data', data, '--out', path.join(tmp, 'x'), '--masks', empty], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/needs labelled defects.*--masks DIR/s);

    const small = path.join(tmp, 'small-masks');
    mkdirSync(small, { recursive: true });
    for (const f of readdirSync(path.join(data, 'test/blob'))) {
      await sharp(Buffer.alloc(32 * 32, 255), { raw: { width: 32, height: 32, channels: 1 } }).png().toFile(path.join(small, f));
    }
    c = capture();
    expect(await main(['finetune', '--base', baseDir, '--data', data, '--out', path.join(tmp, 'y'), '--masks', small, '--epochs', '1'], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/is 32x32 but its image .* is 64x64/);

    c = capture();
    expect(await main(['finetune', '--base', baseDir, '--data', data, '--out', path.join(tmp, 'z'), '--shots', '17'], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/has 16 labelled image\(s\) but --shots asks for 17/);
  }, 30_000);

  it('a run cancelled mid-way resumes from its checkpoint to the same model as an uninterrupted run', async () => {
    const { summary, images } = await scanDataset(data);
    const split = splitForTraining(images, 1, data);
    const labeled = labelledFor({ root: data, split, seed: 4 }, { shots: 3 }).map((l) => l.record);
    const req = { root: data, summary, split, seed: 4, params: { base: baseDir, labeled, epochs: 6, views: 3, minSteps: 0 } };
    const full = await fewshot.train(req);
    const work = path.join(tmp, 'work');
    const ctl = new AbortController();
    const epochs: number[] = [];
    await expect(fewshot.train({ ...req, workDir: work, signal: ctl.signal, onProgress: (e) => {
      if (e.stage !== 'train') return;
      epochs.push(e.epoch!);
      if (e.epoch === 1) ctl.abort();
    } })).rejects.toThrow(/cancelled at step/);
    expect(epochs).toEqual([0, 1]);
    const resumed = await fewshot.train({ ...req, workDir: work, resume: true });
    expect(resumed.json.params.steps).toBe(full.json.params.steps);
    const maps = async (t: TrainedModel, name: string) => {
      const dir = path.join(tmp, name);
      await writeModelFolder(dir, t.onnx, t.json);
      const m = await AnomalyModel.load(dir);
      const r = await m.run(await preprocessImage(path.join(data, labeled[0].path), m.preprocess));
      await m.release();
      return r.map;
    };
    const a = await maps(full, 'full');
    const b = await maps(resumed, 'resumed');
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    expect(maxDiff).toBeLessThan(1e-5);
  }, 40_000);
});

