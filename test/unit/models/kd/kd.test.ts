import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../../src/cli/index.js';
import { probeShapes } from '../../../../src/main/engine/autodiff/shapes.js';
import { buildTrainingModel } from '../../../../src/main/engine/optim/trainingGraph.js';
import { Trainer } from '../../../../src/main/engine/runtime/trainer.js';
import { resolveBackbone } from '../../../../src/main/models/backbones/index.js';
import { defaultParams } from '../../../../src/main/models/kd/index.js';
import { buildTrainingForward, loadedImage, makeBatchFn, makeCropFn, studentConfig } from '../../../../src/main/models/kd/train.js';
import { GraphBuilder } from '../../../../src/main/engine/onnx/graph.js';
import { serializeModel } from '../../../../src/main/engine/onnx/proto.js';
import { imageToUnit } from '../../../../src/main/models/patchcore/network.js';
import { openSession, ort } from '../../../../src/main/models/session.js';
import { readModelFolder } from '../../../../src/main/models/modelFolder.js';
import { Rng } from '../../../../src/main/engine/rng.js';
import { existsSync } from 'node:fs';
import { scanDataset } from '../../../../src/main/data/scan.js';
import { kd } from '../../../../src/main/models/kd/index.js';
import { splitForTraining } from '../../../../src/main/models/split.js';
import { makeBlobDataset } from '../synthetic.js';
import { capture } from '../../helpers/captureIo.js';

let tmp: string;
let data: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ds-kd-'));
  data = path.join(tmp, 'blobs');
  await makeBlobDataset(data, { size: 64, trainGood: 16, testGood: 8, testDefect: 8 });
}, 60_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('KD forward student', () => {
  it('the distillation loss (and each reported term) decreases in a few Adam steps', async () => {
    const backbone = resolveBackbone('mobilenetv2');
    // The forward student (the seed's model): one stage per teacher level, three levels.
    const p = { ...defaultParams(backbone), architecture: 'forward' as const, levels: ['block_2', 'block_5', 'block_10'], widths: [32, 64, 128], denoise: 0 };
    const cfg = studentConfig(p, backbone);
    const fwd = buildTrainingForward(backbone, cfg, p, 4, 32, 0);
    // A fixed batch of textured images in the training input's [0,1] photometric range.
    const rng = new Rng(3);
    const images = Array.from({ length: 4 }, () => ({ data: Uint8Array.from({ length: 3 * 32 * 32 }, (_, i) => 100 + 40 * Math.sin((i % 32) * 0.6) + rng.uniform(-15, 15)), h: 32, w: 32, mean: 0.45, std: 0.12 }));
    const batch = makeBatchFn(images, 4, 32, 1, 0)(0);
    const shapes = await probeShapes(fwd.model, batch);
    const training = buildTrainingModel(fwd.model, { loss: 'loss', optimizer: { kind: 'adam' }, shapes, params: fwd.params, reportOutputs: fwd.terms });
    expect(training.params.every((n) => n.startsWith('student.'))).toBe(true); // the teacher stays frozen
    const trainer = await Trainer.create(training, { provider: { provider: 'cpu', skipped: [] }, threads: 1 });
    const first = await trainer.step(batch, 3e-3);
    expect(Object.keys(first.terms).sort()).toEqual(['loss.block_10', 'loss.block_2', 'loss.block_5', 'loss.sspcab']);
    let last = first;
    for (let i = 0; i < 14; i++) last = await trainer.step(batch, 3e-3);
    await trainer.release();
    expect(last.loss).toBeLessThan(first.loss * 0.8);
    expect(last.terms['loss.block_10']).toBeLessThan(first.terms['loss.block_10']);
  }, 60_000);
});

describe('KD reverse student, flattened-map loss', () => {
  it("lossShape 'flat' is a different loss from the per-position one on the same init and batch, and it decreases", async () => {
    const backbone = resolveBackbone('mobilenetv2');
    const rng = new Rng(5);
    const images = Array.from({ length: 2 }, () => ({ data: Uint8Array.from({ length: 3 * 64 * 64 }, (_, i) => 100 + 40 * Math.sin((i % 64) * 0.4) + rng.uniform(-15, 15)), h: 64, w: 64, mean: 0.45, std: 0.12 }));
    const batch = makeBatchFn(images, 2, 64, 1, 0)(0);
    const firstAndLast = async (lossShape: 'position' | 'flat') => {
      const p = { ...defaultParams(backbone), lossShape, denoise: 0 };
      const fwd = buildTrainingForward(backbone, studentConfig(p, backbone), p, 2, 64, 0);
      const shapes = await probeShapes(fwd.model, batch);
      const training = buildTrainingModel(fwd.model, { loss: 'loss', optimizer: { kind: 'adam' }, shapes, params: fwd.params, reportOutputs: fwd.terms });
      const trainer = await Trainer.create(training, { provider: { provider: 'cpu', skipped: [] }, threads: 1 });
      const first = await trainer.step(batch, 3e-3);
      let last = first;
      for (let i = 0; i < 9; i++) last = await trainer.step(batch, 3e-3);
      await trainer.release();
      const finest = `loss.${p.levels[0]}`;
      return { first: first.terms[finest], last: last.terms[finest] };
    };
    const position = await firstAndLast('position');
    const flat = await firstAndLast('flat');
    // The heads start at zero (every loss is 1 at step 0); after the same steps the two losses have moved apart.
    expect(Math.abs(flat.last - position.last)).toBeGreaterThan(1e-2);
    expect(flat.last).toBeLessThan(flat.first);
  }, 60_000);
});

describe('KD on generated blob defects (CLI end to end)', () => {
  it('train --method kd writes a model folder; eval finds the blobs (image AUROC >= 0.9)', async () => {
    const modelDir = path.join(tmp, 'model');
    const c = capture();
    const code = await main(['train', '--method', 'kd', '--data', data, '--out', modelDir, '--image-size', '64', '--epochs', '25', '--seed', '1', '--progress', 'json'], c.io);
    expect(code, c.err.join('\n')).toBe(0);
    const folder = await readModelFolder(modelDir);
    expect(folder.json.method).toBe('kd');
    expect(folder.json.threshold).toBeGreaterThan(0);
    const loop = folder.json.params.loop as { steps: number; firstLoss: number; lastLoss: number };
    expect(loop.lastLoss).toBeLessThan(loop.firstLoss);
    const e = capture();
    expect(await main(['eval', '--model', modelDir, '--data', data, '--json'], e.io), e.err.join('\n')).toBe(0);
    const r = JSON.parse(e.out[0]) as { image_auroc: number; pixel_auroc: number; testImages: number };
    expect(r.testImages).toBe(16);
    expect(r.image_auroc).toBeGreaterThanOrEqual(0.9);
    expect(r.pixel_auroc).toBeGreaterThanOrEqual(0.85);
  }, 60_000);
});

describe('KD training crops', () => {
  it.each([true, false])('hold what the exported graph feeds the teacher (imageToUnit, photometric %s)', async (photometric) => {
    const side = 32;
    const rng = new Rng(5);
    const data = Uint8Array.from({ length: 3 * side * side }, (_, i) => 40 + (i % 7) * 9 + rng.int(90));
    // One whole-image crop: only a flip can tell it from the image, so each plane's sorted values must match.
    const crop = makeCropFn([loadedImage(data, side, side, photometric)], 1, side, 1, 0)(0).unit;
    const g = new GraphBuilder('unit');
    const image = g.input('image', 'uint8', [1, 3, side, side]);
    g.node('Identity', [imageToUnit(g, image, photometric)], {}, { outputs: ['unit'] });
    g.output('unit', 'float32', [1, 3, side, side]);
    const { session } = await openSession(serializeModel(g.build()), 'imageToUnit');
    try {
      const ref = (await session.run({ image: new ort.Tensor('uint8', data, [1, 3, side, side]) })).unit.data as Float32Array;
      const plane = side * side;
      for (let c = 0; c < 3; c++) {
        const a = Array.from(crop.subarray(c * plane, (c + 1) * plane)).sort((x, y) => x - y);
        const b = Array.from(ref.subarray(c * plane, (c + 1) * plane)).sort((x, y) => x - y);
        a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 4));
      }
    } finally {
      await session.release();
    }
  });
});

describe('KD training job', () => {
  it('a cancelled run leaves a checkpoint and throws CANCELLED; resume continues from it to the end', async () => {
    const { summary, images } = await scanDataset(data);
    const split = splitForTraining(images, 0, data);
    const workDir = path.join(tmp, 'work');
    const ctl = new AbortController();
    const params = { epochs: 3, batch: 4 };
    const base = { root: data, summary, split, seed: 2, imageSize: 64, params, workDir };
    await expect(
      kd.train({ ...base, signal: ctl.signal, onProgress: (e) => e.stage === 'train' && e.done >= 3 && ctl.abort() }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(existsSync(path.join(workDir, 'checkpoint.onnx'))).toBe(true);
    const resumed = await kd.train({ ...base, resume: true });
    const loop = resumed.json.params.loop as { startStep: number; steps: number };
    expect(loop.startStep).toBeGreaterThanOrEqual(3);
    expect(loop.steps).toBe(3 * Math.floor(split.train.length / 4));
  }, 60_000);
});
