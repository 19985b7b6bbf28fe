/**
 * CoRe pretraining end to end on small generated surfaces (scripts/make-textures.ts), at 32 px so each test
 * stays in seconds: the loss falls, an aborted run resumes to the same step count, the exported backbone is
 * a working `train --backbone FILE.onnx` file, and bad folders are clear errors (exit 2 from the CLI).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../../src/cli/index.js';
import { probeShapes } from '../../../../src/main/engine/autodiff/shapes.js';
import { serializeModel } from '../../../../src/main/engine/onnx/proto.js';
import { buildTrainingModel } from '../../../../src/main/engine/optim/trainingGraph.js';
import { Trainer } from '../../../../src/main/engine/runtime/trainer.js';
import { loadBackboneFile } from '../../../../src/main/models/backbones/index.js';
import { EpochOrder, loadSources, makeCoreBatch } from '../../../../src/main/models/core/augment.js';
import { buildCorePretrainGraph } from '../../../../src/main/models/core/network.js';
import { pretrainCore } from '../../../../src/main/models/core/pretrain.js';
import { makeTextures } from '../../../../scripts/make-textures.js';

const CPU = { provider: 'cpu' as const, skipped: [] };
let dir = '';
let files: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ds-core-'));
  files = await makeTextures(path.join(dir, 'textures'), 10, 48, 0);
});

/** The real CLI entry (exit-code mapping included), with its output captured. */
async function runCli(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['pretrain', ...argv], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('CoRe pretraining', () => {
  it('the combined loss goes down within a few steps on a fixed batch', async () => {
    const { images } = await loadSources(files, 32);
    const batch = makeCoreBatch(images, new EpochOrder(images.length, 0), 0, 0, 4, 32);
    const net = buildCorePretrainGraph({ seed: 0, batch: 4, imageSize: 32, temperature: 0.2, restorativeWeight: 5 });
    const training = buildTrainingModel(net.model, {
      loss: net.loss, params: net.params, optimizer: { kind: 'adamw', weightDecay: 1e-4 }, shapes: await probeShapes(net.model, batch), reportOutputs: net.terms,
    });
    const trainer = await Trainer.create(training, { provider: CPU, threads: 1 });
    const seen: { loss: number; terms: Record<string, number> }[] = [];
    for (let i = 0; i < 8; i++) seen.push(await trainer.step(batch, 2e-3));
    await trainer.release();
    const first = seen[0];
    const last = seen[seen.length - 1];
    expect(first.terms.contrastive_loss).toBeGreaterThan(0);
    expect(first.terms.restorative_loss).toBeGreaterThan(0);
    expect(first.loss).toBeCloseTo(first.terms.contrastive_loss + 5 * first.terms.restorative_loss, 4);
    expect(last.loss).toBeLessThan(first.loss * 0.8);
  });

  it('a run aborted mid-way resumes from its checkpoint and ends with the same step count; the backbone works', async () => {
    const work = path.join(dir, 'work-resume');
    const out = path.join(dir, 'resumed.onnx');
    const ctl = new AbortController();
    const common = { files, out, workDir: work, imageSize: 32, batch: 4, seed: 3, threads: 1 };
    await expect(pretrainCore({ ...common, steps: 4, signal: ctl.signal, onProgress: (p) => p.step === 2 && ctl.abort() })).rejects.toThrow(/cancelled at step 2\/4/);
    // The resumed call asks for another step count: the stored schedule wins, so it still ends at 4.
    const res = await pretrainCore({ ...common, steps: 50, resume: true });
    expect(res.startStep).toBe(2);
    expect(res.steps).toBe(4);
    expect(res.totalSteps).toBe(4);
    const log = readFileSync(res.lossLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.map((r) => r.step)).toEqual([1, 2, 3, 4]);
    expect(log[0].contrastive).toBeGreaterThan(0);
    expect(log[0].restorative).toBeGreaterThan(0);

    const backbone = loadBackboneFile(out);
    expect(backbone.features.map((f) => [f.name, f.stride])).toEqual([['layer1', 4], ['layer2', 8], ['layer3', 16]]);
    expect(backbone.provenance).toMatch(/CoRe/);
    expect(backbone.provenance).toMatch(/standardised views, BatchNorm statistics re-estimated/);
    const session = await ort.InferenceSession.create(serializeModel(backbone.model));
    const r = await session.run({ image: new ort.Tensor('float32', new Float32Array(3 * 64 * 64).fill(0.5), [1, 3, 64, 64]) });
    expect(r.layer2.dims).toEqual([1, 128, 8, 8]);
    expect(r.layer3.dims).toEqual([1, 256, 4, 4]);
    expect(Array.from(r.layer3.data as Float32Array).every(Number.isFinite)).toBe(true);
    await session.release();
  });

  it('an empty folder, unreadable images and images too small for the crop exit 2 with a clear message', async () => {
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    const e1 = await runCli(['--data', empty, '--out', path.join(dir, 'x.onnx'), '--epochs', '1']);
    expect(e1.code).toBe(2);
    expect(e1.err.join('\n')).toMatch(/no image files/);

    const broken = path.join(dir, 'broken');
    mkdirSync(broken);
    for (const n of ['a.png', 'b.png']) writeFileSync(path.join(broken, n), Buffer.from('not a png at all'));
    const e2 = await runCli(['--data', broken, '--out', path.join(dir, 'y.onnx'), '--epochs', '1']);
    expect(e2.code).toBe(2);
    expect(e2.err.join('\n')).toMatch(/unreadable|could not be decoded|usable images/);

    const small = path.join(dir, 'small');
    mkdirSync(small);
    for (const n of ['a.png', 'b.png', 'c.png']) {
      await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 90, g: 90, b: 90 } } }).png().toFile(path.join(small, n));
    }
    const e3 = await runCli(['--data', small, '--out', path.join(dir, 'z.onnx'), '--epochs', '1', '--image-size', '64']);
    expect(e3.code).toBe(2);
    expect(e3.err.join('\n')).toMatch(/too small for 64 px crops.*smaller --image-size/s);
  });
});
