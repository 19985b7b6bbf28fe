import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../../src/cli/index.js';
import { scanDataset } from '../../../../src/main/data/scan.js';
import { probeShapes } from '../../../../src/main/engine/autodiff/shapes.js';
import { GraphBuilder } from '../../../../src/main/engine/onnx/graph.js';
import { serializeModel, type ModelProto } from '../../../../src/main/engine/onnx/proto.js';
import { buildTrainingModel } from '../../../../src/main/engine/optim/trainingGraph.js';
import { Rng } from '../../../../src/main/engine/rng.js';
import { Trainer } from '../../../../src/main/engine/runtime/trainer.js';
import { resolveBackbone } from '../../../../src/main/models/backbones/index.js';
import { defaultParams, ear, parseSkips, resolveParams } from '../../../../src/main/models/ear/index.js';
import { embedBackbone } from '../../../../src/main/models/backbones/embed.js';
import { channelMeans, embedGrayBackbone, featureError, featureSquaredDiffs, grayStem, grayToRgb, localMean } from '../../../../src/main/models/ear/featureError.js';
import { anomalyMapAndScore } from '../../../../src/main/models/patchcore/anomalyMap.js';
import { obfuscate, selectMask } from '../../../../src/main/models/ear/mask.js';
import { buildEarGraph, buildEarTrainingForward, makeBatchFor, type EarParams } from '../../../../src/main/models/ear/train.js';
import { MAP_OUTPUT, SCORE_OUTPUT, writeModelFolder } from '../../../../src/main/models/modelFolder.js';
import { splitForTraining } from '../../../../src/main/models/split.js';
import { openSession } from '../../../../src/main/models/session.js';
import { makeBlobDataset } from '../synthetic.js';

/** A small configuration: two U-Net levels at the model input's resolution, short training; the recovery and its
 *  error map alone (head 'none': the discriminative head has its own tests, disc.test.ts). */
const SMALL: Partial<EarParams> = { scale: 1, channels: [8, 16], inferenceSkips: [false, true], steps: 200, batch: 4, crop: 32, borderMargin: 1, head: 'none' };
const small = (over: Partial<EarParams> = {}): EarParams => resolveParams({ imageSize: 64, params: { ...SMALL, ...over } });

async function runGraph(model: ModelProto, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const { session } = await openSession(serializeModel(model), 'test graph');
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** Values reachable downstream of `from` when `cut` (a node name) is removed from the graph. */
function reachable(model: ModelProto, from: string, cut: string): Set<string> {
  const nodes = model.graph!.node!.filter((n) => n.name !== cut);
  const seen = new Set([from]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const n of nodes) {
      if (!(n.input ?? []).some((i) => seen.has(i))) continue;
      for (const o of n.output ?? []) if (!seen.has(o)) (seen.add(o), (grew = true));
    }
  }
  return seen;
}

describe('EAR mask and hint', () => {
  it('selects the top fraction of the attention, deterministically, dilated, at the picture size', async () => {
    const build = (dilate: number) => {
      const g = new GraphBuilder('m');
      const att = g.input('att', 'float32', [1, 1, 4, 4]);
      const like = g.input('like', 'float32', [1, 1, 8, 8]);
      g.node('Identity', [selectMask(g, att, like, 2 / 16, dilate)], {}, { outputs: ['mask'] });
      g.output('mask', 'float32');
      return g.build();
    };
    const att = new Float32Array(16).map((_, i) => (i * 7) % 16); // a permutation of 0..15: 15 at i=9, 14 at i=2
    const feeds = { att: new ort.Tensor('float32', att, [1, 1, 4, 4]), like: new ort.Tensor('float32', new Float32Array(64), [1, 1, 8, 8]) };
    const a = (await runGraph(build(0), feeds)).mask.data as Float32Array;
    const b = (await runGraph(build(0), feeds)).mask.data as Float32Array;
    expect(Array.from(a)).toEqual(Array.from(b));
    const cells = new Set([9, 2]);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(a[y * 8 + x], `pixel ${x},${y}`).toBe(cells.has((y >> 1) * 4 + (x >> 1)) ? 1 : 0);
    // Dilation by one cell: the 3x3 neighbourhoods of cells (1,2) and (2,0).
    const d = (await runGraph(build(1), feeds)).mask.data as Float32Array;
    let count = 0;
    for (let cy = 0; cy < 4; cy++)
      for (let cx = 0; cx < 4; cx++) {
        const on = (Math.abs(cx - 1) <= 1 && Math.abs(cy - 2) <= 1) || (Math.abs(cx - 2) <= 1 && Math.abs(cy - 0) <= 1);
        expect(d[cy * 2 * 8 + cx * 2], `cell ${cx},${cy}`).toBe(on ? 1 : 0);
        count += on ? 1 : 0;
      }
    expect(count).toBe(13); // 9 + 6 cells, 2 shared
  });

  it('mosaics (or empties) exactly the masked blocks', async () => {
    const x = Float32Array.from({ length: 16 }, (_, i) => i); // 4x4: rows 0..3, 4..7, 8..11, 12..15
    const mask = Float32Array.from([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    const build = (mode: 'mosaic' | 'empty') => {
      const g = new GraphBuilder('h');
      const xi = g.input('x', 'float32', [1, 1, 4, 4]);
      const mi = g.input('mask', 'float32', [1, 1, 4, 4]);
      g.node('Identity', [obfuscate(g, xi, mi, mode, 2)], {}, { outputs: ['y'] });
      g.output('y', 'float32');
      return g.build();
    };
    const feeds = { x: new ort.Tensor('float32', x, [1, 1, 4, 4]), mask: new ort.Tensor('float32', mask, [1, 1, 4, 4]) };
    const y = Array.from((await runGraph(build('mosaic'), feeds)).y.data as Float32Array);
    // Top-left block mean (0+1+4+5)/4 = 2.5; bottom-right block mean (10+11+14+15)/4 = 12.5, only pixel 15 masked.
    expect(y).toEqual([2.5, 2.5, 2, 3, 2.5, 2.5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 12.5]);
    const e = Array.from((await runGraph(build('empty'), feeds)).y.data as Float32Array);
    expect(e).toEqual([0, 0, 2, 3, 0, 0, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0]);
  });
});

describe('EAR U-Net skip switches', () => {
  it.each(['none', 'disc'] as const)('with the shallow skip off, the shallow encoder features reach the output only through the downsampling, and the output changes (head %s)', async (head) => {
    const backbone = resolveBackbone('mobilenetv2');
    const p = small({ head });
    const on = buildEarGraph(backbone, p, 5, undefined, [true, true]).build();
    const off = buildEarGraph(backbone, p, 5, undefined, [false, true]).build();
    // enc0's output = the input of the MaxPool named down0.
    const enc0 = (m: ModelProto) => m.graph!.node!.find((n) => n.name === 'down0')!.input![0];
    const outOn = reachable(on, enc0(on), 'down0');
    const outOff = reachable(off, enc0(off), 'down0');
    expect(outOn.has(MAP_OUTPUT) && outOn.has(SCORE_OUTPUT)).toBe(true); // the walk finds the skip when it exists
    expect(outOff.has(MAP_OUTPUT) || outOff.has(SCORE_OUTPUT)).toBe(false);
    expect(off.graph!.node!.some((n) => n.name === 'skip0')).toBe(false);
    expect(off.graph!.node!.some((n) => n.name === 'skip1')).toBe(true);

    const r = new Rng(3);
    const img = new Uint8Array(3 * 64 * 64).map(() => 60 + r.int(120));
    const feeds = { image: new ort.Tensor('uint8', img, [1, 3, 64, 64]) };
    const a = (await runGraph(on, feeds))[MAP_OUTPUT].data as Float32Array;
    const b = (await runGraph(off, feeds))[MAP_OUTPUT].data as Float32Array;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
    expect(diff).toBeGreaterThan(1e-3);
  });

  it('replaces the border band of the error map by the nearest interior error', async () => {
    const p = small({ errorSpace: 'pixel', borderMargin: 4, sigma: 0, errorPool: 1 });
    const model = buildEarGraph(resolveBackbone('mobilenetv2'), p, 2).build();
    const r = new Rng(4);
    const img = new Uint8Array(3 * 64 * 64).map(() => 60 + r.int(120));
    const map = (await runGraph(model, { image: new ort.Tensor('uint8', img, [1, 3, 64, 64]) }))[MAP_OUTPUT].data as Float32Array;
    for (let x = 4; x < 60; x++) {
      expect(map[0 * 64 + x]).toBe(map[4 * 64 + x]);
      expect(map[63 * 64 + x]).toBe(map[59 * 64 + x]);
    }
    expect(map[5 * 64 + 30]).not.toBe(map[4 * 64 + 30]); // inside, the map varies
  });

  it('parses --skips as 0/1 switches or a count of shallow levels off', () => {
    expect(parseSkips('0,1,1', 3)).toEqual([false, true, true]);
    expect(parseSkips('2', 3)).toEqual([false, false, true]);
    expect(parseSkips([1, 1, 1], 3)).toEqual([true, true, true]);
    expect(() => parseSkips('1,1', 3)).toThrow(/--skips/);
    expect(resolveParams({ params: { skips: '1,1,1' } }).inferenceSkips).toEqual([true, true, true]);
    expect(defaultParams().inferenceSkips).toEqual([false, true, true]);
  });
});

describe('EAR feature-space error', () => {
  const backbone = resolveBackbone('mobilenetv2');
  const levels = ['block_5', 'block_10'];
  const channels = levels.map((l) => backbone.features.find((f) => f.name === l)!.channels);
  /** x [1,1,64,64] (the image, its features computed as the model's front does) vs x̂ [1,1,32,32] (a recovery at half size). */
  const graph = (stats?: Float32Array[]) => {
    const g = new GraphBuilder('f');
    const x = g.input('x', 'float32', [1, 1, 64, 64]);
    const xhat = g.input('xhat', 'float32', [1, 1, 32, 32]);
    const xFeats = embedGrayBackbone(g, backbone, x, levels, 'backbone/');
    const diffs = featureSquaredDiffs(g, backbone, xFeats, xhat, x, levels);
    g.node('Identity', [featureError(g, diffs, channels, stats)], {}, { outputs: ['err'] });
    g.output('err', 'float32');
    channelMeans(g, diffs).forEach((m, i) => (g.node('Identity', [m], {}, { outputs: [`mean${i}`] }), g.output(`mean${i}`, 'float32')));
    return g.build();
  };
  const r = new Rng(11);
  // A smooth striped picture at 32 px, and the same picture bilinearly doubled to 64 px: a perfect recovery.
  const small = new Float32Array(32 * 32).map((_, i) => 0.5 + 0.2 * Math.sin((i % 32) * 0.4) * Math.cos(Math.floor(i / 32) * 0.3));
  const xhat = small.map((v, i) => (i % 32 > 10 && i % 32 < 20 && i > 320 && i < 640 ? 0.1 : v + 0.02 * r.normal()));
  const feeds = (x: Float32Array, b: Float32Array) => ({ x: new ort.Tensor('float32', x, [1, 1, 64, 64]), xhat: new ort.Tensor('float32', b, [1, 1, 32, 32]) });
  const upsampled = async (): Promise<Float32Array> => {
    const g = new GraphBuilder('u');
    const v = g.input('v', 'float32', [1, 1, 32, 32]);
    g.node('Resize', [v, '', '', g.constInt64([1, 1, 64, 64])], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }, { outputs: ['up'] });
    g.output('up', 'float32');
    return (await runGraph(g.build(), { v: new ort.Tensor('float32', small, [1, 1, 32, 32]) })).up.data as Float32Array;
  };

  it('is zero for a perfect recovery and averages 1 over the images its statistics came from', async () => {
    const x = await upsampled();
    const same = (await runGraph(graph(), feeds(x, small))).err;
    expect(same.dims).toEqual([1, 1, 8, 8]); // block_5 (stride 8) grid of the 64 px image
    expect(Math.max(...(same.data as Float32Array))).toBeLessThan(1e-8);
    const first = await runGraph(graph(), feeds(x, xhat));
    const stats = [first.mean0.data as Float32Array, first.mean1.data as Float32Array];
    expect(stats[0].length).toBe(channels[0]);
    // Normalised by its own statistics, block_5's error averages exactly 1; block_10's (resized to the block_5
    // grid, bilinear) about 1, so their mean is about 1.
    const err = (await runGraph(graph(stats), feeds(x, xhat))).err.data as Float32Array;
    const mean = err.reduce((a, b) => a + b) / err.length;
    expect(mean).toBeGreaterThan(0.9);
    expect(mean).toBeLessThan(1.1);
    // Where the recovery differs (the dark rectangle, rows 10..19, columns 11..19 at 32 px -> cells 2..4), the
    // error is above the image's average.
    expect(err[3 * 8 + 3]).toBeGreaterThan(1);
  });
});

describe('EAR inference shortcuts (same numbers, less work)', () => {
  const rng = new Rng(5);

  it('the gray backbone (first Conv folded to one input channel) gives the features of the gray image repeated as RGB', async () => {
    const backbone = resolveBackbone('mobilenetv2');
    const stem = grayStem(backbone);
    expect(stem?.dims).toEqual([32, 1, 3, 3]);
    const levels = ['block_5', 'block_10'];
    const g = new GraphBuilder('gray');
    const x = g.input('x', 'float32', [1, 1, 48, 64]);
    const folded = embedGrayBackbone(g, backbone, x, levels, 'folded/');
    const rgb = embedBackbone(g, backbone, grayToRgb(g, x), levels, 'rgb/');
    for (const l of levels) for (const [k, v] of [['f', folded[l]], ['r', rgb[l]]]) (g.node('Identity', [v], {}, { outputs: [`${k}_${l}`] }), g.output(`${k}_${l}`, 'float32'));
    expect(g.nodes.filter((n) => n.opType === 'Expand')).toHaveLength(1); // only the RGB reference has one
    const out = await runGraph(g.build(), { x: new ort.Tensor('float32', Float32Array.from({ length: 48 * 64 }, () => rng.next()), [1, 1, 48, 64]) });
    for (const l of levels) {
      const f = out[`f_${l}`].data as Float32Array;
      const r = out[`r_${l}`].data as Float32Array;
      const scale = Math.max(...r.map(Math.abs));
      expect(scale).toBeGreaterThan(0.1);
      expect(Math.max(...f.map((v, i) => Math.abs(v - r[i])))).toBeLessThan(1e-5 * scale);
    }
    // A ResNet normalises per channel (ImageNet mean/std), so three equal channels differ after it: no folding.
    expect(grayStem(resolveBackbone('resnet', 0))).toBeUndefined();
  });
});

describe('EAR error-map local average', () => {
  it('averages each cell over its k x k neighbourhood, counting only cells inside the map', async () => {
    const side = 5;
    const x = new Float32Array(side * side).map((_, i) => ((i * 37) % 11) - 3);
    const g = new GraphBuilder('pool');
    const xi = g.input('x', 'float32', [1, 1, side, side]);
    g.node('Identity', [localMean(g, xi, 3)], {}, { outputs: ['y'] });
    g.node('Identity', [localMean(g, xi, 1)], {}, { outputs: ['same'] });
    g.output('y', 'float32');
    g.output('same', 'float32');
    const r = await runGraph(g.build(), { x: new ort.Tensor('float32', x, [1, 1, side, side]) });
    const y = r.y.data as Float32Array;
    for (let i = 0; i < side; i++)
      for (let j = 0; j < side; j++) {
        let sum = 0;
        let n = 0;
        for (let di = -1; di <= 1; di++)
          for (let dj = -1; dj <= 1; dj++) {
            const a = i + di;
            const b = j + dj;
            if (a >= 0 && a < side && b >= 0 && b < side) (sum += x[a * side + b]), n++;
          }
        expect(y[i * side + j]).toBeCloseTo(sum / n, 5);
      }
    expect(Array.from(r.same.data as Float32Array)).toEqual(Array.from(x)); // k = 1: no averaging
  });

  it('errorPool smooths the exported map: its maximum and spread drop, its mean stays', async () => {
    const backbone = resolveBackbone('mobilenetv2');
    const r = new Rng(5);
    const img = new Uint8Array(3 * 64 * 64).map(() => 60 + r.int(120));
    const peak = async (errorPool: number) => {
      const model = buildEarGraph(backbone, small({ errorSpace: 'pixel', borderMargin: 0, sigma: 0, errorNorm: 'none', errorPool }), 2).build();
      const out = await runGraph(model, { image: new ort.Tensor('uint8', img, [1, 3, 64, 64]) });
      const map = out[MAP_OUTPUT].data as Float32Array;
      let sq = 0;
      const mean = map.reduce((a, b) => a + b) / map.length;
      for (const v of map) sq += (v - mean) ** 2;
      return { max: (out[SCORE_OUTPUT].data as Float32Array)[0], std: Math.sqrt(sq / map.length), mean };
    };
    const raw = await peak(1);
    const pooled = await peak(5);
    expect(pooled.max).toBeLessThan(raw.max);
    expect(pooled.std).toBeLessThan(raw.std);
    expect(Math.abs(pooled.mean - raw.mean) / raw.mean).toBeLessThan(0.05); // an average, not a rescaling
  });
});

/** Batches of two 32x32 striped crops with noise and a mask over columns 8-15, drawn from `r`. */
function stripeBatches(r: Rng): () => { target: ort.Tensor; mask: ort.Tensor } {
  return () => {
    const t = new Float32Array(2 * 32 * 32).map((_, i) => 0.5 + 0.2 * Math.sin((i % 32) * 0.6) + 0.05 * r.normal());
    const m = new Float32Array(t.length).map((_, i) => ((i % 32) >= 8 && (i % 32) < 16 ? 1 : 0));
    return { target: new ort.Tensor('float32', t, [2, 1, 32, 32]), mask: new ort.Tensor('float32', m, [2, 1, 32, 32]) };
  };
}

describe('EAR training', () => {
  it('the L1 + SSIM loss decreases within a few steps', async () => {
    const p = small({ batch: 2 });
    const fwd = buildEarTrainingForward(p, 1);
    const batch = stripeBatches(new Rng(9));
    const shapes = await probeShapes(fwd.model, batch());
    const training = buildTrainingModel(fwd.model, { loss: fwd.loss, optimizer: { kind: 'adam' }, shapes, params: fwd.params, reportOutputs: fwd.terms });
    expect(training.params.some((x) => x.startsWith('ssim'))).toBe(false); // the SSIM window is not trained
    const trainer = await Trainer.create(training, { provider: { provider: 'cpu', skipped: [] }, threads: 1 });
    const losses: number[] = [];
    try {
      for (let s = 0; s < 25; s++) losses.push((await trainer.step(batch(), 3e-3)).loss);
    } finally {
      await trainer.release();
    }
    const tail = losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(tail).toBeLessThan(0.7 * losses[0]);
  });

  it('denoise: the U-Net input gets synthetic defects in some crops while target and mask stay those of the run without it', () => {
    const rng = new Rng(3);
    const pictures = [0, 1].map(() => ({ w: 48, h: 40, target: new Float32Array(48 * 40).map(() => 0.5 + 0.2 * rng.normal()), mask: new Float32Array(48 * 40).map(() => rng.int(2)) }));
    const plain = makeBatchFor(pictures, small({ batch: 8 }), 32, 4)(7);
    const noisy = makeBatchFor(pictures, small({ batch: 8, denoise: 0.5 }), 32, 4)(7);
    expect(plain.corrupted).toBeUndefined();
    expect(Array.from(noisy.target.data as Float32Array)).toEqual(Array.from(plain.target.data as Float32Array));
    expect(Array.from(noisy.mask.data as Float32Array)).toEqual(Array.from(plain.mask.data as Float32Array));
    const [t, c] = [noisy.target.data as Float32Array, noisy.corrupted.data as Float32Array];
    const changed = Array.from({ length: 8 }, (_, b) => t.subarray(b * 1024, (b + 1) * 1024).some((v, i) => v !== c[b * 1024 + i]));
    expect(changed.some((x) => x)).toBe(true);
    expect(changed.every((x) => x)).toBe(false);
    // The training graph reads the corrupted picture as its input, the clean one as its target.
    expect(buildEarTrainingForward(small({ batch: 8, denoise: 0.5 }), 1).model.graph!.input!.map((i) => i.name)).toEqual(['target', 'mask', 'corrupted']);
  });

  it('the perceptual term goes through the frozen backbone: only U-Net weights train, and it decreases', async () => {
    const backbone = resolveBackbone('mobilenetv2');
    const p = small({ batch: 2, scale: 2, featureLossWeight: 1 });
    const fwd = buildEarTrainingForward(p, 1, backbone);
    expect(fwd.terms).toHaveLength(3);
    const batch = stripeBatches(new Rng(9));
    const shapes = await probeShapes(fwd.model, batch());
    const training = buildTrainingModel(fwd.model, { loss: fwd.loss, optimizer: { kind: 'adam' }, shapes, params: fwd.params, reportOutputs: fwd.terms });
    expect(training.params.some((x) => x.startsWith('loss_'))).toBe(false); // the backbone copies are constants
    const trainer = await Trainer.create(training, { provider: { provider: 'cpu', skipped: [] }, threads: 1 });
    const feature: number[] = [];
    try {
      for (let s = 0; s < 25; s++) feature.push((await trainer.step(batch(), 3e-3)).terms[fwd.terms[2]]);
    } finally {
      await trainer.release();
    }
    expect(feature[0]).toBeGreaterThan(0);
    expect(feature.slice(-5).reduce((a, b) => a + b) / 5).toBeLessThan(0.7 * feature[0]);
  });
});

describe('EAR end to end on generated blob defects', () => {
  let tmp: string;
  let data: string;
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'ds-ear-'));
    data = path.join(tmp, 'blobs');
    await makeBlobDataset(data, { size: 64, trainGood: 12, testGood: 8, testDefect: 8 });
  }, 60_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('trains with the engine, writes a model folder, and `eval` finds the blobs (image AUROC >= 0.9)', async () => {
    const { summary, images } = await scanDataset(data);
    const split = splitForTraining(images, 0, data);
    const stages = new Set<string>();
    const trained = await ear.train({ root: data, summary, split, seed: 0, imageSize: 64, params: SMALL, workDir: path.join(tmp, 'work'), onProgress: (e) => stages.add(e.stage) });
    expect([...stages]).toEqual(['attention', 'train', 'validate']);
    expect(trained.json.method).toBe('ear');
    expect(trained.json.threshold).toBeGreaterThan(0);
    const loop = trained.json.params.loop as { steps: number; firstLoss: number; lastLoss: number };
    expect(loop.steps).toBe(200);
    expect(loop.lastLoss).toBeLessThan(loop.firstLoss);
    const dir = path.join(tmp, 'model');
    await writeModelFolder(dir, trained.onnx, trained.json);
    const out: string[] = [];
    const err: string[] = [];
    expect(await main(['eval', '--model', dir, '--data', data, '--json'], { out: (l) => out.push(l), err: (l) => err.push(l) }), err.join('\n')).toBe(0);
    const r = JSON.parse(out[0]) as { image_auroc: number; pixel_auroc: number };
    expect(r.image_auroc).toBeGreaterThanOrEqual(0.9);
    expect(r.pixel_auroc).toBeGreaterThanOrEqual(0.9);

    // Resume: the same workDir at the final step trains nothing more and gives the same model.
    const again = await ear.train({ root: data, summary, split, seed: 0, imageSize: 64, params: SMALL, workDir: path.join(tmp, 'work'), resume: true });
    expect((again.json.params.loop as { startStep: number }).startStep).toBe(200);
    expect(Buffer.from(again.onnx).equals(Buffer.from(trained.onnx))).toBe(true);
  }, 60_000);

  it('`train --method ear --skips` reaches the method (a wrong switch count is refused by name)', async () => {
    const err: string[] = [];
    const code = await main(['train', '--method', 'ear', '--data', data, '--out', path.join(tmp, 'bad'), '--skips', '1,1,1,1'], { out: () => {}, err: (l) => err.push(l) });
    expect(code).not.toBe(0);
    expect(err.join('\n')).toMatch(/--skips "1,1,1,1"/);
  });
});
