import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanDataset } from '../../../../src/main/data/scan.js';
import { probeShapes } from '../../../../src/main/engine/autodiff/shapes.js';
import { Net } from '../../../../src/main/engine/layers/index.js';
import { GraphBuilder } from '../../../../src/main/engine/onnx/graph.js';
import { serializeModel } from '../../../../src/main/engine/onnx/proto.js';
import { buildTrainingModel } from '../../../../src/main/engine/optim/trainingGraph.js';
import { Rng } from '../../../../src/main/engine/rng.js';
import { Trainer } from '../../../../src/main/engine/runtime/trainer.js';
import { resolveBackbone } from '../../../../src/main/models/backbones/index.js';
import { corruptBatch, cropBatch } from '../../../../src/main/models/ear/crops.js';
import { buildDiscTrainingForward, discHead } from '../../../../src/main/models/ear/disc.js';
import { resolveParams } from '../../../../src/main/models/ear/index.js';
import { ear } from '../../../../src/main/models/ear/index.js';
import { buildEarGraph, headBorderCells, modelMultiple, recoverySession, type EarParams } from '../../../../src/main/models/ear/train.js';
import { adoptWeights, type WeightMap } from '../../../../src/main/models/ear/unet.js';
import { splitForTraining } from '../../../../src/main/models/split.js';
import { openSession } from '../../../../src/main/models/session.js';
import type { TrainProgressEvent } from '../../../../src/main/models/types.js';
import { makeBlobDataset } from '../synthetic.js';

const S = 32;
const B = 4;

/** Striped gray crops in unit space, with synthetic defects pasted into most (the head's stage-2 batches). */
function defectBatch(rng: Rng): Record<string, ort.Tensor> {
  const clean = new Float32Array(B * S * S).map((_, i) => 0.5 + 0.15 * Math.sin((i % S) * 0.7 + Math.floor(i / (S * S))) + 0.03 * rng.normal());
  const { corrupted, anomaly } = corruptBatch(clean, B, S, 0.9, rng);
  const dims = [B, 1, S, S];
  // A perfect recovery of the clean crop: the head must learn where picture and recovery differ like a defect.
  return { picture: new ort.Tensor('float32', corrupted, dims), recovered: new ort.Tensor('float32', clean, dims), anomaly: new ort.Tensor('float32', anomaly, dims) };
}

function pearson(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

async function run(g: GraphBuilder, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const { session } = await openSession(serializeModel(g.build()), 'test graph');
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('EAR discriminative head', () => {
  it('learns the synthetic defect mask on tiny crops: the loss falls and its probability correlates with the mask', async () => {
    const channels = [8, 16];
    const fwd = buildDiscTrainingForward({ channels, batch: B, featureChannels: 0 }, 0);
    expect(fwd.params.every((x) => x.startsWith('disc.'))).toBe(true);
    const rng = new Rng(4);
    const shapes = await probeShapes(fwd.model, defectBatch(rng));
    const training = buildTrainingModel(fwd.model, { loss: fwd.loss, optimizer: { kind: 'adam' }, shapes, params: fwd.params, reportOutputs: fwd.terms });
    const trainer = await Trainer.create(training, { provider: { provider: 'cpu', skipped: [] }, threads: 1 });
    const losses: number[] = [];
    const weights: WeightMap = new Map();
    try {
      for (let s = 0; s < 150; s++) losses.push((await trainer.step(defectBatch(rng), 5e-3)).loss);
      for (const [k, v] of trainer.stateTensors()) weights.set(k, { dims: v.dims, data: Float32Array.from(v.data as Float32Array) });
    } finally {
      await trainer.release();
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b) / xs.length;
    expect(mean(losses.slice(-10))).toBeLessThan(0.5 * mean(losses.slice(0, 5)));

    // The inference form (BN running statistics) on fresh crops, upsampled like the training loss.
    const g = new GraphBuilder('head');
    const x = g.input('picture', 'float32', [B, 1, S, S]);
    const r = g.input('recovered', 'float32', [B, 1, S, S]);
    const logits = discHead(new Net(g, 1), x, r, channels, false);
    g.node('Resize', [g.op('Sigmoid', [logits]), '', g.constFloat([1, 1, 4, 4])], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }, { outputs: ['prob'] });
    g.output('prob', 'float32');
    adoptWeights(g, weights);
    const test = defectBatch(new Rng(77));
    const prob = (await run(g, { picture: test.picture, recovered: test.recovered })).prob.data as Float32Array;
    expect(pearson(prob, test.anomaly.data as Float32Array)).toBeGreaterThan(0.5);
  }, 60_000);

  it.each([false, true])('the exported model recovers and judges a picture as stage 2 trained it (headFeatures %s): same x̂ and features as the crop session, same head output', async (withFeatures) => {
    const backbone = resolveBackbone('mobilenetv2');
    const p: EarParams = resolveParams({ imageSize: 64, params: { scale: 2, batch: 1, channels: [8, 16], inferenceSkips: [false, true], head: 'disc', headChannels: [8, 16], headFeatures: withFeatures, borderMargin: 0, headPool: 1, headMix: 0, headMask: withFeatures ? 'own' : 'clean' } });
    const g = buildEarGraph(backbone, p, 3);
    const node = (name: string) => g.nodes.find((n) => n.name === name)!;
    const producer = (v: string) => g.nodes.find((n) => n.output!.includes(v))!;
    const [target, recovered] = node('disc.input').input!;
    const mask = node('mask_to_image').output![0];
    const prob = node('defect_probability').output![0];
    // The features the head reads: the inputs of the Resizes that put them on its grid.
    const feats = withFeatures ? node('disc.feature_input').input!.slice(0, 2).map((v) => producer(v).input![0]) : [];
    for (const v of [target, recovered, mask, prob, ...feats]) g.output(v, 'float32');
    const rng = new Rng(5);
    const img = new Uint8Array(3 * 64 * 64).map(() => 60 + rng.int(120));
    const out = await run(g, { image: new ort.Tensor('uint8', img, [1, 3, 64, 64]) });
    const close = (a: Float32Array, b: Float32Array) => {
      expect(a.length).toBe(b.length);
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      expect(worst).toBeLessThan(1e-4);
    };

    // Stage 2's crop recovery (seeded weights: the names are those of the exported graph) on the same picture and mask.
    // headMask 'own' recomputes the mask from the enlarged picture, which is the model's backbone input only with
    // headFeatures (otherwise the model's attention reads the full-size gray image: close, not equal).
    const session = await recoverySession(p, 3, new Map(), backbone);
    let crops: Record<string, ort.Tensor>;
    try {
      crops = await session.recover(out[target], out[mask]);
    } finally {
      await session.release();
    }
    close(crops.recovered.data as Float32Array, out[recovered].data as Float32Array);
    if (withFeatures) {
      close(crops.features.data as Float32Array, out[feats[0]].data as Float32Array);
      close(crops.recovered_features.data as Float32Array, out[feats[1]].data as Float32Array);
    }

    // The head alone (the training path's layers in inference form) on what the crop session gives.
    const h = new GraphBuilder('head');
    const hx = h.input('picture', 'float32', [1, 1, 32, 32]);
    const hr = h.input('recovered', 'float32', [1, 1, 32, 32]);
    const hf = withFeatures ? { x: h.input('features', 'float32', [1, 32, 8, 8]), recovered: h.input('recovered_features', 'float32', [1, 32, 8, 8]), channels: 32 } : undefined;
    h.node('Sigmoid', [discHead(new Net(h, 4), hx, hr, p.headChannels, false, hf)], {}, { outputs: ['prob'] });
    h.output('prob', 'float32');
    const alone = (await run(h, { picture: out[target], ...crops })).prob.data as Float32Array;
    expect(alone.length).toBe(8 * 8);
    close(alone, out[prob].data as Float32Array);
  });
  it.each([
    [undefined, 3],
    [null, 3],
    [1, 1],
  ])('the border band of the head map is the error map\'s band in model pixels, counted in head cells (pixel error: U-Net pixels), unless headBorderMargin (%s) sets it', async (headBorderMargin, band) => {
    const backbone = resolveBackbone('mobilenetv2');
    // 128 px input, scale 2, head stride 4: a 16 x 16 head grid of 8 px cells; 12 U-Net px = 24 model px = 3 head
    // cells (not the default's 2, so the derived band is told apart from it; null is how JSON params say "unset").
    const p = resolveParams({ imageSize: 128, params: { scale: 2, batch: 1, channels: [8, 16], inferenceSkips: [false, true], head: 'disc', headChannels: [8, 16], errorSpace: 'pixel', borderMargin: 12, headPool: 1, headMix: 0, headBorderMargin } });
    const g = buildEarGraph(backbone, p, 3);
    const raw = g.nodes.find((n) => n.name === 'defect_probability')!.output![0];
    // clampBorder: a Gather along the rows, then one along the columns.
    const gatherOf = (v: string) => g.nodes.find((n) => n.opType === 'Gather' && n.input![0] === v)!.output![0];
    const clamped = gatherOf(gatherOf(raw));
    for (const v of [raw, clamped]) g.output(v, 'float32');
    const rng = new Rng(6);
    const img = new Uint8Array(3 * 128 * 128).map(() => 60 + rng.int(120));
    const out = await run(g, { image: new ort.Tensor('uint8', img, [1, 3, 128, 128]) });
    const [r, c] = [out[raw].data as Float32Array, out[clamped].data as Float32Array];
    expect(out[clamped].dims).toEqual([1, 1, 16, 16]);
    const at = (i: number) => Math.min(Math.max(i, band), 15 - band);
    for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) expect(c[y * 16 + x]).toBe(r[at(y) * 16 + at(x)]);
    // Derived (feature error on block_5, stride 8 = the head's cell): the band is borderMargin cells; the default
    // (session 7) sets half of it.
    const d = resolveParams({ imageSize: 256, params: {} });
    expect(headBorderCells(backbone, { ...d, headBorderMargin: undefined })).toBe(d.borderMargin);
    expect(headBorderCells(backbone, d)).toBe(2);
  });

  it('headMix: the map adds headMix x the error map the model without a head scores, on the head grid', async () => {
    const backbone = resolveBackbone('mobilenetv2');
    const params = { scale: 2, batch: 1, channels: [8, 16], inferenceSkips: [false, true], headChannels: [8, 16], borderMargin: 1, headPool: 1 };
    const withHead = buildEarGraph(backbone, resolveParams({ imageSize: 64, params: { ...params, head: 'disc', headMix: 0.3 } }), 3);
    const alone = buildEarGraph(backbone, resolveParams({ imageSize: 64, params: { ...params, head: 'none' } }), 3);
    const sum = withHead.nodes.find((n) => n.name === 'head_and_error')!;
    const prob = sum.input![0];
    withHead.output(prob, 'float32');
    withHead.output(sum.output![0], 'float32');
    // The error map as it enters the smoothing (errorNorm 'mean': the relative error).
    const err = alone.nodes.find((n) => n.name === 'relative_error')!.output![0];
    alone.output(err, 'float32');
    const rng = new Rng(9);
    const image = new ort.Tensor('uint8', new Uint8Array(3 * 64 * 64).map(() => 60 + rng.int(120)), [1, 3, 64, 64]);
    const h = await run(withHead, { image });
    const e = (await run(alone, { image }))[err];
    expect(e.dims).toEqual(h[prob].dims);
    const [p, m, ev] = [h[prob].data as Float32Array, h[sum.output![0]].data as Float32Array, e.data as Float32Array];
    expect(ev.some((v) => v > 0.1)).toBe(true);
    for (let i = 0; i < m.length; i++) expect(m[i]).toBeCloseTo(p[i] + 0.3 * ev[i], 5);
  });

  it('the model input is a multiple of the head\'s stride too, as the training crops are', () => {
    const backbone = resolveBackbone('mobilenetv2');
    const p = resolveParams({ imageSize: 128, params: { scale: 2, channels: [8, 16], head: 'disc', headChannels: [8, 16, 32, 64] } });
    expect(modelMultiple(p, backbone) % (p.scale * 16)).toBe(0);
    expect(modelMultiple({ ...p, head: 'none' }, backbone)).toBe(8);
  });

  it("headMask 'own': stage 2 excises where the corrupted crop's own attention points, not where the clean image's mask says", async () => {
    const backbone = resolveBackbone('mobilenetv2');
    const rng = new Rng(8);
    const picture = new ort.Tensor('float32', new Float32Array(2 * 32 * 32).map(() => 0.5 + 0.2 * rng.normal()), [2, 1, 32, 32]);
    const zeros = new ort.Tensor('float32', new Float32Array(2 * 32 * 32), [2, 1, 32, 32]);
    const ones = new ort.Tensor('float32', new Float32Array(2 * 32 * 32).fill(1), [2, 1, 32, 32]);
    const recoveries = async (headMask: 'clean' | 'own') => {
      const p = resolveParams({ imageSize: 64, params: { scale: 2, batch: 2, channels: [8, 16], inferenceSkips: [false, true], head: 'disc', headMask } });
      const session = await recoverySession(p, 3, new Map(), backbone);
      try {
        return [(await session.recover(picture, zeros)).recovered.data as Float32Array, (await session.recover(picture, ones)).recovered.data as Float32Array];
      } finally {
        await session.release();
      }
    };
    const [ownA, ownB] = await recoveries('own');
    expect(Array.from(ownA)).toEqual(Array.from(ownB));
    const [cleanA, cleanB] = await recoveries('clean');
    expect(Array.from(cleanA)).not.toEqual(Array.from(cleanB));
    expect(Array.from(ownA)).not.toEqual(Array.from(cleanA)); // the attention excised something
  });
});

describe('EAR two-stage training (denoising recovery + head) on generated blobs', () => {
  let tmp: string;
  let data: string;
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'ds-ear-disc-'));
    data = path.join(tmp, 'blobs');
    await makeBlobDataset(data, { size: 64, trainGood: 12, testGood: 8, testDefect: 8 });
  }, 60_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('trains both stages, cancels in the head stage, resumes from its checkpoint, and a resume at the end changes nothing', async () => {
    const { summary, images } = await scanDataset(data);
    const split = splitForTraining(images, 0, data);
    const params = { scale: 1, channels: [8, 16], inferenceSkips: [false, true], steps: 40, batch: 4, crop: 32, borderMargin: 1, denoise: 0.5, head: 'disc', headChannels: [8, 16], headSteps: 60, headMask: 'own' };
    const workDir = path.join(tmp, 'work');
    const ac = new AbortController();
    const req = { root: data, summary, split, seed: 0, imageSize: 64, params, workDir };
    // One progress bar over both stages (40 U-Net steps, then 60 head steps): cancel at the head's step 30.
    const bar: { done: number; total: number }[] = [];
    const onProgress = (e: TrainProgressEvent) => {
      if (e.stage !== 'train') return;
      bar.push({ done: e.done, total: e.total });
      if (e.done >= 70) ac.abort();
    };
    await expect(ear.train({ ...req, signal: ac.signal, onProgress })).rejects.toThrow(/EAR head training was cancelled/);
    expect(bar.every((e) => e.total === 100)).toBe(true);
    expect(bar.every((e, i) => i === 0 || e.done >= bar[i - 1].done)).toBe(true);
    expect(bar.some((e) => e.done === 40)).toBe(true);
    const resumed = await ear.train({ ...req, resume: true });
    const head = resumed.json.params.headLoop as { steps: number; startStep: number; firstLoss: number; lastLoss: number };
    expect(head.steps).toBe(60);
    expect(head.startStep).toBeGreaterThanOrEqual(30);
    expect(head.startStep).toBeLessThan(60);
    expect((resumed.json.params.loop as { startStep: number }).startStep).toBe(40);
    const again = await ear.train({ ...req, resume: true });
    expect(Buffer.from(again.onnx).equals(Buffer.from(resumed.onnx))).toBe(true);
    // Other head settings on the finished U-Net: a new head from step 0, not the other one's checkpoint.
    const other = await ear.train({ ...req, params: { ...params, headSteps: 20 }, resume: true });
    expect((other.json.params.headLoop as { startStep: number }).startStep).toBe(0);
    expect((other.json.params.loop as { startStep: number }).startStep).toBe(40);
    // Other inference skips on the same U-Net: the head's training crops are recovered with them, so a head trained
    // on the other skips' recoveries is not this run's head; it trains from step 0 as a fresh run would.
    const skipsOn = await ear.train({ ...req, params: { ...params, inferenceSkips: [true, true] }, resume: true });
    expect((skipsOn.json.params.headLoop as { startStep: number }).startStep).toBe(0);
    expect((skipsOn.json.params.loop as { startStep: number }).startStep).toBe(40);
    // A U-Net that trains on in the resumed run recovers differently: the finished head of its earlier weights is
    // stale, a new head trains from step 0.
    const further = await ear.train({ ...req, params: { ...params, steps: 60 }, resume: true });
    expect(further.json.params.loop as { startStep: number; steps: number }).toMatchObject({ startStep: 40, steps: 60 });
    expect((further.json.params.headLoop as { startStep: number }).startStep).toBe(0);
    expect(head.lastLoss).toBeLessThan(head.firstLoss);
  }, 120_000);

  it('a resume refuses a U-Net checkpoint trained with other settings or images, and heads of a U-Net that trained since are not resumed', async () => {
    const { summary, images } = await scanDataset(data);
    const split = splitForTraining(images, 0, data);
    const params = { scale: 1, channels: [8, 16], inferenceSkips: [false, true], steps: 8, batch: 4, crop: 32, borderMargin: 1, head: 'disc', headChannels: [8, 16], headSteps: 6, headMask: 'own' };
    const workDir = path.join(tmp, 'work-settings');
    const req = { root: data, summary, split, seed: 0, imageSize: 64, params, workDir };
    await ear.train(req);
    const heads = () => readdirSync(workDir).filter((n) => n.startsWith('head-')).sort();
    const other = await ear.train({ ...req, params: { ...params, headSteps: 4 }, resume: true });
    expect((other.json.params.headLoop as { startStep: number }).startStep).toBe(0);
    expect(heads()).toHaveLength(2);
    // Inference-only settings (the head's band) re-export the same checkpoints.
    const band = await ear.train({ ...req, params: { ...params, headBorderMargin: 0 }, resume: true });
    expect((band.json.params.loop as { startStep: number }).startStep).toBe(8);
    expect((band.json.params.headLoop as { startStep: number }).startStep).toBe(6);
    // The U-Net's training settings or images: refused by name, the checkpoint untouched.
    await expect(ear.train({ ...req, params: { ...params, lr: 1e-3 }, resume: true })).rejects.toThrow(/other settings \(lr 0\.002 -> 0\.001\)/);
    await expect(ear.train({ ...req, split: { ...split, train: split.train.slice(0, 8) }, resume: true })).rejects.toThrow(new RegExp(`trainImages ${split.train.length} -> 8, trainList`));
    // More steps train the same U-Net on: every head beside it learnt the old one's recoveries.
    await ear.train({ ...req, params: { ...params, steps: 12 }, resume: true });
    expect(heads()).toEqual(['head-c8_16-s6-lr0.002-a0.5-f0-own-k01-p8']);
    const back = await ear.train({ ...req, params: { ...params, headSteps: 4 }, resume: true });
    expect((back.json.params.headLoop as { startStep: number }).startStep).toBe(0);
    // A fresh run (no resume) in the same folder replaces the U-Net: its heads go, its settings are the new ones.
    await ear.train({ ...req, params: { ...params, lr: 1e-3 } });
    expect(heads()).toEqual(['head-c8_16-s6-lr0.002-a0.5-f0-own-k01-p8']);
    const resumed = await ear.train({ ...req, params: { ...params, lr: 1e-3, headSteps: 4 }, resume: true });
    expect((resumed.json.params.headLoop as { startStep: number }).startStep).toBe(0);
  }, 120_000);
});
