import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanDataset } from '../../../../src/main/data/scan.js';
import { Net } from '../../../../src/main/engine/layers/index.js';
import { GraphBuilder } from '../../../../src/main/engine/onnx/graph.js';
import { arrayToTensor, serializeModel, tensorToArray, type ModelProto, type TypedArray } from '../../../../src/main/engine/onnx/proto.js';
import { Rng } from '../../../../src/main/engine/rng.js';
import { resolveBackbone } from '../../../../src/main/models/backbones/index.js';
import { defaultParams, kd } from '../../../../src/main/models/kd/index.js';
import { buildSegHead, buildHeadTrainingForward, headInputChannels, poolMask, trainSegHead } from '../../../../src/main/models/kd/segHead.js';
import { buildHeadFeatureModel, headDirName, buildInferenceModel, buildTrainingForward, makeCropFn, studentConfig, type KdParams, type Loaded } from '../../../../src/main/models/kd/train.js';
import { openSession, ort } from '../../../../src/main/models/session.js';
import { splitForTraining } from '../../../../src/main/models/split.js';
import { makeBlobDataset } from '../synthetic.js';

type Weights = Map<string, { dims: number[]; data: TypedArray }>;

const backbone = resolveBackbone('mobilenetv2');
// A small student (block_5: 32 ch at s8, block_10: 96 ch at s16) keeps the tests quick; untrained is enough: the
// head learns from whatever discrepancy the pair shows, and a pasted defect changes the teacher's features. No
// SSPCAB: on 64 px inputs the bottleneck is 2 x 2 cells and its masked conv's corners all fall outside (output 0).
const p: KdParams = { ...defaultParams(backbone), levels: ['block_5', 'block_10'], widths: [16, 32], useSspcab: false, head: 'seg', headWidth: 16, denoise: 0 };
const cfg = studentConfig(p, backbone);
const CROP = 64;
const BATCH = 4;

function initializers(model: ModelProto, prefix: string): Weights {
  return new Map((model.graph!.initializer ?? []).filter((t) => t.name!.startsWith(prefix)).map((t) => [t.name!, tensorToArray(t)]));
}

const studentWeights = initializers(buildTrainingForward(backbone, cfg, p, BATCH, CROP, 0).model, 'student.');

const rng = new Rng(11);
const images: Loaded[] = Array.from({ length: 8 }, () => ({
  data: Uint8Array.from({ length: 3 * CROP * CROP }, (_, i) => 110 + 40 * Math.sin((i % CROP) * 0.5 + Math.floor(i / CROP) * 0.3) + rng.uniform(-12, 12)),
  h: CROP,
  w: CROP,
  mean: 0.43,
  std: 0.12,
}));

/** The head in inference mode on head_input (the training path's forward, evaluated): -> probability. */
async function headProbability(weights: Weights, headInput: ort.Tensor): Promise<Float32Array> {
  const g = new GraphBuilder('head_eval');
  const x = g.input('head_input', 'float32', headInput.dims as number[]);
  const net = new Net(g, 0);
  const logits = buildSegHead(net, x, headInputChannels(cfg.levels), p.headWidth!, false);
  g.node('Sigmoid', [logits], {}, { outputs: ['p'] });
  g.output('p', 'float32', ['N', 1, 'h', 'w']);
  for (const name of g.initializers.keys()) {
    const w = weights.get(name);
    if (w) g.initializers.set(name, arrayToTensor(name, 'float32', w.dims, w.data));
  }
  const { session } = await openSession(serializeModel(g.build()), 'head eval');
  try {
    return (await session.run({ head_input: headInput })).p.data as Float32Array;
  } finally {
    await session.release();
  }
}

async function headInputOf(featureModel: Uint8Array, unit: Float32Array, n: number, side: number): Promise<ort.Tensor> {
  const { session } = await openSession(featureModel, 'features');
  try {
    return (await session.run({ unit: new ort.Tensor('float32', unit, [n, 3, side, side]) })).head_input;
  } finally {
    await session.release();
  }
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('KD segmentation head (DeSTSeg stage 2)', () => {
  it('poolMask: any pixel marks the cell; half needs half the cell', () => {
    const mask = new Uint8Array(1 * 4 * 4);
    mask[0] = 1; // one pixel of the top-left 2x2 cell
    mask[2] = mask[3] = mask[6] = 1; // three of the top-right cell's four
    expect(Array.from(poolMask(mask, 1, 4, 2, 'any'))).toEqual([1, 1, 0, 0]);
    expect(Array.from(poolMask(mask, 1, 4, 2, 'half'))).toEqual([0, 1, 0, 0]);
  });

  it('learns the synthetic masks: the loss falls and the probability correlates with an unseen mask', async () => {
    const featureModel = serializeModel(buildHeadFeatureModel(backbone, cfg, studentWeights, 0, BATCH, CROP));
    const crops = makeCropFn(images, BATCH, CROP, 2, 5, 1);
    const head = await trainSegHead({ req: {}, featureModel, crops, batch: BATCH, crop: CROP, stride: 8, inC: headInputChannels(cfg.levels), width: 16, steps: 150, stepsPerEpoch: 2, lr: 3e-3, maskRule: 'any', seed: 0 });
    const losses = head.loop.losses;
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(losses.slice(-10))).toBeLessThan(0.6 * mean(losses.slice(0, 10)));
    // Crops of a step the head never trained on.
    const unseen = crops(5000);
    const target = poolMask(unseen.mask!, BATCH, CROP, 8, 'any');
    expect(target.some((v) => v === 1)).toBe(true);
    const features = await headInputOf(featureModel, unseen.noisy!, BATCH, CROP);
    const trained = pearson(await headProbability(head.weights, features), target);
    const untrained = pearson(await headProbability(initializers(buildHeadTrainingForward(headInputChannels(cfg.levels), 16, BATCH, 8, 8, 0).model, 'head.'), features), target);
    // 0.48 vs 0.05 when written (150 steps on 8 images).
    expect(trained).toBeGreaterThan(0.3);
    expect(trained).toBeGreaterThan(untrained + 0.2);
  }, 120_000);

  for (const headTeacher of [false, true]) it(`the exported model contains the head and matches the training path (features session + head), headTeacher ${headTeacher}`, async () => {
    const withTeacher: KdParams = { ...p, headTeacher };
    const headWeights = initializers(buildHeadTrainingForward(headInputChannels(cfg.levels, headTeacher), withTeacher.headWidth!, BATCH, 8, 8, 3).model, 'head.');
    // Non-trivial BN statistics, so eval mode is exercised.
    for (const [k, v] of headWeights) if (k.endsWith('.running_mean')) v.data = Float32Array.from({ length: v.data.length }, (_, i) => 0.01 * (i % 5));
    const weights: Weights = new Map([...studentWeights, ...headWeights]);
    const exported = buildInferenceModel(backbone, cfg, withTeacher, weights, 0, undefined, true);
    expect((exported.graph!.initializer ?? []).some((t) => t.name === 'head.logit.weight')).toBe(true);
    const img = images[2];
    const { session } = await openSession(serializeModel(exported), 'kd export');
    let fromExport: Float32Array;
    try {
      fromExport = (await session.run({ image: new ort.Tensor('uint8', img.data, [1, 3, CROP, CROP]) })).head_probability.data as Float32Array;
    } finally {
      await session.release();
    }
    // The training path's unit: makeCropFn's photometric standardisation with the image's own statistics.
    let s = 0;
    for (const v of img.data) s += v / 255;
    const mean = s / img.data.length;
    let q = 0;
    for (const v of img.data) q += (v / 255 - mean) ** 2;
    const std = Math.sqrt(q / img.data.length + 1e-6);
    const unit = Float32Array.from(img.data, (v) => (v * 0.2) / std / 255 + 0.5 - (0.2 * mean) / std);
    const featureModel = serializeModel(buildHeadFeatureModel(backbone, cfg, studentWeights, 0, 1, CROP, headTeacher));
    const headInput = await headInputOf(featureModel, unit, 1, CROP);
    // With the teacher's features the input doubles: T̂ ⊙ Ŝ and T̂ per level.
    expect(headInput.dims[1]).toBe((cfg.levels[0].channels + cfg.levels[1].channels) * (headTeacher ? 2 : 1));
    const fromTraining = await headProbability(headWeights, headInput);
    expect(fromExport.length).toBe(fromTraining.length);
    let maxDiff = 0;
    for (let i = 0; i < fromExport.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fromExport[i] - fromTraining[i]));
    expect(maxDiff).toBeLessThan(1e-4);
    // The head's output is not constant: the comparison means something.
    expect(Math.max(...fromExport) - Math.min(...fromExport)).toBeGreaterThan(1e-3);
  }, 60_000);

  it("headMap 'product' is (head probability + headFloor) x the level-normalised cosine map: the floor adds headFloor x the head-none map", async () => {
    const headWeights = initializers(buildHeadTrainingForward(headInputChannels(cfg.levels), p.headWidth!, BATCH, 8, 8, 4).model, 'head.');
    const weights: Weights = new Map([...studentWeights, ...headWeights]);
    // Statistics far from 1, so a product with the un-normalised maps would show.
    const levelStats = [
      { mean: 0.3, std: 0.1 },
      { mean: 0.05, std: 0.02 },
    ];
    const mapOf = async (q: Partial<KdParams>): Promise<Float32Array> => {
      const { session } = await openSession(serializeModel(buildInferenceModel(backbone, cfg, { ...p, ...q }, weights, 0, levelStats)), 'kd map');
      try {
        return (await session.run({ image: new ort.Tensor('uint8', images[3].data, [1, 3, CROP, CROP]) })).anomaly_map.data as Float32Array;
      } finally {
        await session.release();
      }
    };
    const floor = 0.25;
    const cosine = await mapOf({ head: 'none' });
    const product = await mapOf({ headMap: 'product', headFloor: 0 });
    const floored = await mapOf({ headMap: 'product', headFloor: floor });
    const headOnly = await mapOf({ headMap: 'seg' });
    const scale = Math.max(...floored.map(Math.abs));
    let maxDiff = 0;
    // Every step after the cell map (border band, resize, blur) is linear, so the map is too.
    for (let i = 0; i < floored.length; i++) maxDiff = Math.max(maxDiff, Math.abs(floored[i] - (product[i] + floor * cosine[i])));
    expect(maxDiff).toBeLessThan(1e-5 * scale);
    // ... and the plain product is neither factor alone.
    const distance = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    expect(distance(product, headOnly)).toBeGreaterThan(1e-3 * scale);
    expect(distance(product, cosine)).toBeGreaterThan(1e-3 * scale);
  }, 60_000);
});

describe('KD with the head: training job', () => {
  let tmp: string;
  let data: string;
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'ds-kd-head-'));
    data = path.join(tmp, 'blobs');
    await makeBlobDataset(data, { size: 64, trainGood: 16, testGood: 8, testDefect: 8 });
  }, 60_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('a run cancelled in stage 2 resumes from the head checkpoint to the uninterrupted run\'s result', async () => {
    const { summary, images: recs } = await scanDataset(data);
    const split = splitForTraining(recs, 0, data);
    const params = { epochs: 2, batch: 4, useSspcab: false, head: 'seg', headEpochs: 3, headWidth: 16 };
    const base = { root: data, summary, split, seed: 2, imageSize: 64, params };
    const perEpoch = Math.floor(split.train.length / 4);
    const studentSteps = 2 * perEpoch;
    const whole = await kd.train({ ...base, workDir: path.join(tmp, 'whole') });
    const workDir = path.join(tmp, 'work');
    const ctl = new AbortController();
    const seen: { done: number; total: number }[] = [];
    await expect(
      kd.train({
        ...base,
        workDir,
        signal: ctl.signal,
        onProgress: (e) => {
          if (e.stage !== 'train') return;
          seen.push({ done: e.done, total: e.total });
          if (e.done >= studentSteps + 2) ctl.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    // One progress bar over both stages.
    expect(seen.every((s) => s.total === 5 * perEpoch)).toBe(true);
    expect(existsSync(path.join(workDir, headDirName({ ...defaultParams(backbone), ...params } as KdParams), 'checkpoint.onnx'))).toBe(true);
    const resumed = await kd.train({ ...base, workDir, resume: true });
    const headLoop = resumed.json.params.headLoop as { startStep: number; steps: number };
    expect(headLoop.startStep).toBeGreaterThanOrEqual(2);
    expect(headLoop.steps).toBe(3 * perEpoch);
    expect(resumed.json.threshold).toBeCloseTo(whole.json.threshold as number, 4);
  }, 120_000);

  it('a resumed run trains a new head when the student trains further or the head\'s crops change, never resumes a head of other weights; other student settings or images are refused', async () => {
    const { summary, images: recs } = await scanDataset(data);
    const split = splitForTraining(recs, 0, data);
    const perEpoch = Math.floor(split.train.length / 4);
    const workDir = path.join(tmp, 'further');
    const base = { root: data, summary, split, seed: 3, imageSize: 64, workDir };
    const params = { epochs: 1, batch: 4, useSspcab: false, head: 'seg', headEpochs: 2, headWidth: 16 };
    type Loop = { startStep: number; steps: number };
    const loops = (r: Awaited<ReturnType<typeof kd.train>>) => ({ student: r.json.params.loop as Loop, head: r.json.params.headLoop as Loop });
    const heads = () => readdirSync(workDir).filter((n) => n.startsWith('head-')).sort();
    const headOf = (extra: Partial<KdParams>) => headDirName({ ...defaultParams(backbone), ...params, ...extra } as KdParams);
    await kd.train({ ...base, params });
    // Finished student, another share of anomalous head crops: the head's training crops differ, so a new head.
    const otherCrops = loops(await kd.train({ ...base, params: { ...params, headAnomalyRate: 0.5 }, resume: true }));
    expect(otherCrops.student.startStep).toBe(otherCrops.student.steps);
    expect(otherCrops.head).toMatchObject({ startStep: 0, steps: 2 * perEpoch });
    expect(heads()).toEqual([headOf({}), headOf({ headAnomalyRate: 0.5 })].sort());
    // Map settings only: the same student and head re-exported.
    const mapOnly = loops(await kd.train({ ...base, params: { ...params, sigma: 4 }, resume: true }));
    expect(mapOnly).toMatchObject({ student: { startStep: perEpoch }, head: { startStep: 2 * perEpoch } });
    // The student's training settings or images (denoiseAnomalies: the default denoise crops): refused by name.
    await expect(kd.train({ ...base, params: { ...params, lr: 1e-3 }, resume: true })).rejects.toThrow(/other settings \(lr 0\.002 -> 0\.001\)/);
    await expect(kd.train({ ...base, params: { ...params, denoiseAnomalies: 2 }, resume: true })).rejects.toThrow(/denoiseAnomalies 1 -> 2/);
    await expect(kd.train({ ...base, split: { ...split, train: split.train.slice(0, 8) }, resume: true })).rejects.toThrow(new RegExp(`trainImages ${split.train.length} -> 8, trainList`));
    // The student trains on to 2 epochs: every head beside it read the 1-epoch student's features.
    const further = loops(await kd.train({ ...base, params: { ...params, epochs: 2 }, resume: true }));
    expect(further.student).toMatchObject({ startStep: perEpoch, steps: 2 * perEpoch });
    expect(further.head).toMatchObject({ startStep: 0, steps: 2 * perEpoch });
    expect(heads()).toEqual([headOf({})]);
    const back = loops(await kd.train({ ...base, params: { ...params, epochs: 2, headAnomalyRate: 0.5 }, resume: true }));
    expect(back.head.startStep).toBe(0);
    // A fresh run (no resume) in the same folder replaces the student: its heads go, its settings are the new ones.
    await kd.train({ ...base, params: { ...params, lr: 1e-3 } });
    expect(heads()).toEqual([headOf({})]);
    const resumed = loops(await kd.train({ ...base, params: { ...params, lr: 1e-3, headAnomalyRate: 0.5 }, resume: true }));
    expect(resumed.head.startStep).toBe(0);
  }, 120_000);
});
