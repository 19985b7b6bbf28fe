/**
 * Few-shot training: a small segmentation head on frozen backbone features + the base model's anomaly map.
 *
 * 1. Views: each labelled image gives `views` versions (the original + random crops / flips / rot90 /
 *    brightness-contrast, augment.ts); the frozen part (backbone features, base map channels; head.ts
 *    headInputs) runs once per view. The views are built from the seed alone, so a resumed run rebuilds them
 *    exactly.
 * 2. Training: runTrainingLoop over the head only. makeBatch(step) draws `batch` square grid crops (60% centred
 *    on a defect cell: class balance) with a random dihedral transform from an Rng seeded by seed + step, so the
 *    batches depend on the step alone (deterministic resume).
 * 3. Export: model.onnx = the same headInputs + the head with the trained weights + sigmoid, upsampled to the
 *    image (anomaly_map = defect probability) and the mean of its top 0.3% as the image score.
 * 4. Threshold: the exported model's scores on the good validation images and the labelled images.
 */
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { StudioError } from '../../../shared/errors.js';
import type { ImageRecord } from '../../../shared/dataset.js';
import { preprocessImage, type PreprocessSpec } from '../../data/preprocess.js';
import { probeShapes } from '../../engine/autodiff/shapes.js';
import { GraphBuilder } from '../../engine/onnx/graph.js';
import { parseModel, serializeModel, type ModelProto } from '../../engine/onnx/proto.js';
import { buildTrainingModel } from '../../engine/optim/trainingGraph.js';
import { cosineSchedule, type LoopResult } from '../../engine/runtime/loop.js';
import { runMethodLoop } from '../methodLoop.js';
import { Trainer } from '../../engine/runtime/trainer.js';
import { Rng } from '../../engine/rng.js';
import { resolveBackbone } from '../backbones/index.js';
import type { Backbone } from '../backbones/types.js';
import { INPUT_NAME, MAP_OUTPUT, MODEL_METADATA_KEY, SCORE_OUTPUT, type LoadedModelFolder } from '../modelFolder.js';
import { anomalyMapAndScore } from '../patchcore/anomalyMap.js';
import { openSession } from '../session.js';
import type { TrainProgressEvent } from '../types.js';
import { crop, dihedral, gridTargets, randomDihedral, randomView, type View } from './augment.js';
import { headInputs, headLogits, headLoss, LOSS_TERMS, WeightedNet, type HeadInputSpec, type HeadSpec } from './head.js';
import { maskOnInput, type LabeledImage } from './labels.js';

export interface FewShotParams {
  /** Two backbone features, finer first (its stride = the head grid); default: per backbone, see defaultLevels. */
  levels?: [string, string];
  /** Views per labelled image (the first without dihedral / photometric changes). */
  views: number;
  /** Largest side of a view window in input pixels (bounds the feature cache). */
  viewPixels: number;
  epochs: number;
  /** At least this many steps, whatever the epochs (5 labelled images give only 4-5 steps per epoch). */
  minSteps: number;
  /** Grid crops per step. */
  batch: number;
  /** Crop side in head-grid cells (capped by the smallest view). */
  cropCells: number;
  /** Head channels. */
  width: number;
  lr: number;
  /** Cap of the positive-cell weight of the BCE term (= negative / positive cells, measured on the views). */
  maxPosWeight: number;
  /** Good validation images added as all-negative views (they then also count in the threshold: biased). */
  negatives: number;
  /**
   * Image score: 'base' = the base model's score / its threshold (the head segments, the base decides which
   * images are defective: on magnetic tile image AUROC 0.910 vs 0.664 for the head's own score, README.md);
   * 'head' = mean of the top `scoreTopFraction` of the probability map.
   */
  imageScore: 'base' | 'head';
  scoreTopFraction: number;
}

export const DEFAULT_FEWSHOT_PARAMS: FewShotParams = {
  views: 6,
  viewPixels: 160,
  epochs: 20,
  minSteps: 300,
  batch: 8,
  cropCells: 24,
  width: 32,
  lr: 3e-3,
  maxPosWeight: 20,
  negatives: 20,
  imageScore: 'base',
  scoreTopFraction: 0.003,
};

export interface FewShotTrainInput {
  root: string;
  base: LoadedModelFolder;
  shots: LabeledImage[];
  /** Good validation images (never in the base's memory bank) for the threshold. */
  val: ImageRecord[];
  params: FewShotParams;
  seed: number;
  onProgress?: (e: TrainProgressEvent) => void;
  signal?: AbortSignal;
  workDir?: string;
  resume?: boolean;
}

export interface FewShotTrained {
  onnx: Uint8Array;
  spec: PreprocessSpec;
  backbone: Backbone;
  levels: [string, string];
  valScores: { path: string; label: string; score: number }[];
  loop: LoopResult;
  posWeight: number;
  cropCells: number;
  timings: Record<string, number>;
}

interface CachedView {
  features: Float32Array; // [C, h, w]
  mapChannels: Float32Array; // [2, h, w]
  target: Float32Array; // [h, w]
  h: number;
  w: number;
  positives: Int32Array; // cells with target > 0
}

const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);

function inputSpecFor(base: LoadedModelFolder, coarseStride: number): PreprocessSpec {
  const { fit, size, multiple, maxLong } = base.json.input;
  return { fit, size, multiple: (multiple * coarseStride) / gcd(multiple, coarseStride), maxLong };
}

/**
 * Stride 4 + stride 16 by default: a segmentation head needs the finer grid (on generated blobs, held-out pixel
 * AP 0.21 with PatchCore's stride 8 + 16 levels vs 0.92 with block_3_expand + block_10, README.md).
 */
export function defaultLevels(backbone: Backbone): [string, string] {
  const names = backbone.features.map((f) => f.name);
  if (names.includes('block_3_expand') && names.includes('block_10')) return ['block_3_expand', 'block_10'];
  if (names.includes('layer1') && names.includes('layer3')) return ['layer1', 'layer3'];
  const byStride = [...backbone.features].sort((a, b) => a.stride - b.stride);
  const fine = byStride.find((f) => f.stride >= 4) ?? byStride[0];
  const coarse = [...byStride].reverse().find((f) => f.stride <= 16 && f.stride > fine.stride) ?? byStride[byStride.length - 1];
  return [fine.name, coarse.name];
}

function headInputSpec(base: LoadedModelFolder, chosen?: [string, string]): { spec: HeadInputSpec; input: PreprocessSpec } {
  // `source` (since session 5) is what the base was trained with: a file-based backbone's name is only its metadata
  // name, which resolveBackbone may not know or may map to another network (e.g. 'resnet' at another seed).
  const backbone = resolveBackbone(base.json.backbone.source ?? base.json.backbone.name, base.json.training.seed);
  const levels = chosen ?? defaultLevels(backbone);
  for (const l of levels) if (!backbone.features.some((f) => f.name === l)) throw new StudioError('BAD_REQUEST', `Backbone ${backbone.name} has no feature "${l}"; it offers ${backbone.features.map((f) => f.name).join(', ')}.`);
  const strides = levels.map((l) => backbone.features.find((f) => f.name === l)!.stride);
  const photometric = base.json.params.photometric !== false;
  return {
    spec: { backbone, levels, photometric, gridStride: strides[0], base: parseModel(base.onnx, `${base.dir}/model.onnx`), baseThreshold: base.json.threshold },
    input: inputSpecFor(base, strides[1]),
  };
}

function featureChannels(s: HeadInputSpec): number {
  return s.levels.reduce((sum, l) => sum + s.backbone.features.find((f) => f.name === l)!.channels, 0);
}

/** The head's trained (or initial) parameter values: the direct map path starts as "defect where the base map is high". */
function initialValues(width: number): Map<string, Float32Array> {
  return new Map([
    ['head.map.weight', Float32Array.of(1.5, 1.5)],
    ['head.map.bias', Float32Array.of(-3)],
    ['head.out.weight', new Float32Array(width)],
  ]);
}

export function buildFewShotGraph(s: HeadInputSpec, head: HeadSpec, weights: ReadonlyMap<string, Float32Array>, seed: number, p: Pick<FewShotParams, 'imageScore' | 'scoreTopFraction'>): ModelProto {
  const g = new GraphBuilder('fewshot');
  const image = g.input(INPUT_NAME, 'uint8', ['N', 3, 'H', 'W']);
  const { features, mapChannels, baseScoreOverThreshold } = headInputs(g, image, s);
  const logit = headLogits(new WeightedNet(g, seed, weights), features, mapChannels, head);
  const prob = g.op('Sigmoid', [logit], {}, 'defect_probability');
  const own = anomalyMapAndScore(g, prob, image, 0, p.scoreTopFraction);
  const map = own.map;
  const score = p.imageScore === 'base' ? baseScoreOverThreshold : own.score;
  g.node('Identity', [map], {}, { outputs: [MAP_OUTPUT] });
  g.node('Identity', [score], {}, { outputs: [SCORE_OUTPUT] });
  g.output(MAP_OUTPUT, 'float32', ['N', 1, 'H', 'W']);
  g.output(SCORE_OUTPUT, 'float32', ['N']);
  return g.build({
    producer: 'defect-studio',
    docString: `Few-shot segmentation head on ${s.backbone.name} ${s.levels.join('+')} + base model map`,
    metadata: { [MODEL_METADATA_KEY]: JSON.stringify({ method: 'fewshot', version: 1 }) },
  });
}

/** The first `negatives` good validation images (seeded order is the split's). */
function goodNegatives(input: FewShotTrainInput): ImageRecord[] {
  return input.val.filter((r) => r.label === 'good').slice(0, input.params.negatives);
}

async function extractViews(input: FewShotTrainInput, s: HeadInputSpec, spec: PreprocessSpec): Promise<CachedView[]> {
  const g = new GraphBuilder('fewshot_inputs');
  const image = g.input(INPUT_NAME, 'uint8', ['N', 3, 'H', 'W']);
  const { features, mapChannels } = headInputs(g, image, s);
  g.node('Identity', [features], {}, { outputs: ['features'] });
  g.node('Identity', [mapChannels], {}, { outputs: ['map_channels'] });
  g.output('features', 'float32');
  g.output('map_channels', 'float32');
  const { session } = await openSession(serializeModel(g.build()), 'few-shot feature graph');
  const views: CachedView[] = [];
  // Good images (all-zero masks) teach the head what normal texture looks like away from any defect.
  const negatives = goodNegatives(input);
  const sources: { record: ImageRecord; maskFile: string | null }[] = [...input.shots, ...negatives.map((record) => ({ record, maskFile: null }))];
  const total = sources.length * input.params.views;
  try {
    for (const [i, shot] of sources.entries()) {
      const pre = await preprocessImage(path.join(input.root, shot.record.path), spec, shot.record.path);
      const { inWidth, inHeight } = pre.geometry;
      const mask = shot.maskFile ? await maskOnInput(shot.maskFile, shot.record.path, pre.geometry) : new Uint8Array(inWidth * inHeight);
      const original: View = { image: pre.data, mask, H: inHeight, W: inWidth };
      for (let v = 0; v < input.params.views; v++) {
        const view = randomView(original, new Rng(input.seed * 7919 + i * 131 + v), spec.multiple, input.params.viewPixels, v > 0);
        const out = await session.run({ [INPUT_NAME]: new ort.Tensor('uint8', view.image, [1, 3, view.H, view.W]) });
        const [, , h, w] = out.features.dims as number[];
        const target = gridTargets(view.mask, view.H, view.W, s.gridStride);
        if (target.length !== h * w) throw new StudioError('INTERNAL', `Head grid ${h}x${w} of ${shot.record.path} does not match its mask grid (${target.length} cells).`);
        const positives = Int32Array.from([...target.keys()].filter((k) => target[k] > 0));
        views.push({ features: Float32Array.from(out.features.data as Float32Array), mapChannels: Float32Array.from(out.map_channels.data as Float32Array), target, h, w, positives });
        input.onProgress?.({ stage: 'features', done: views.length, total });
      }
    }
  } finally {
    await session.release();
  }
  return views;
}

/** Per-channel mean and 1/std over every cell of every view. */
function featureStats(views: CachedView[], C: number): { mean: Float32Array; invStd: Float32Array } {
  const sum = new Float64Array(C);
  const sq = new Float64Array(C);
  let n = 0;
  for (const v of views) {
    const hw = v.h * v.w;
    for (let c = 0; c < C; c++)
      for (let p = 0; p < hw; p++) {
        const x = v.features[c * hw + p];
        sum[c] += x;
        sq[c] += x * x;
      }
    n += hw;
  }
  const mean = new Float32Array(C);
  const invStd = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    mean[c] = sum[c] / n;
    invStd[c] = 1 / Math.sqrt(Math.max(sq[c] / n - mean[c] * mean[c], 0) + 1e-6);
  }
  return { mean, invStd };
}

export async function trainFewShot(input: FewShotTrainInput): Promise<FewShotTrained> {
  const { params: p, seed } = input;
  if (input.shots.length === 0) throw new StudioError('BAD_REQUEST', 'Few-shot fine-tuning needs at least one labelled defect image.');
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const { spec: s, input: spec } = headInputSpec(input.base, p.levels);
  const C = featureChannels(s);
  const views = await extractViews(input, s, spec);
  timings.featuresSeconds = (performance.now() - t0) / 1000;

  const stats = featureStats(views, C);
  let pos = 0;
  let cells = 0;
  for (const v of views) {
    for (const t of v.target) pos += t;
    cells += v.target.length;
  }
  if (pos === 0) throw new StudioError('BAD_REQUEST', `The masks of the ${input.shots.length} labelled images are empty (no defect pixel), e.g. ${input.shots[0].maskFile}; draw the defects before fine-tuning.`);
  const posWeight = Math.min(p.maxPosWeight, Math.max(1, (cells - pos) / pos));
  const k = Math.min(p.cropCells, ...views.map((v) => Math.min(v.h, v.w)));
  const head: HeadSpec = { channels: C, width: p.width, ...stats };

  // Training graph: head + loss on precomputed inputs.
  const g = new GraphBuilder('fewshot_head_train');
  const B = p.batch;
  const fIn = g.input('features', 'float32', [B, C, k, k]);
  const mIn = g.input('map_channels', 'float32', [B, 2, k, k]);
  const tIn = g.input('target', 'float32', [B, 1, k, k]);
  const net = new WeightedNet(g, seed, initialValues(p.width));
  const loss = headLoss(g, headLogits(net, fIn, mIn, head), tIn, posWeight);
  g.output(loss, 'float32', []);
  g.output(LOSS_TERMS.bce, 'float32', []);
  g.output(LOSS_TERMS.dice, 'float32', []);
  const forward = g.build();

  const makeBatch = (step: number): Record<string, ort.Tensor> => {
    const rng = new Rng(seed * 1_000_003 + step + 1);
    const f = new Float32Array(B * C * k * k);
    const m = new Float32Array(B * 2 * k * k);
    const t = new Float32Array(B * k * k);
    for (let b = 0; b < B; b++) {
      const v = views[rng.int(views.length)];
      let top = rng.int(v.h - k + 1);
      let left = rng.int(v.w - k + 1);
      if (v.positives.length && rng.next() < 0.6) {
        const cell = v.positives[rng.int(v.positives.length)];
        top = Math.max(0, Math.min(v.h - k, Math.floor(cell / v.w) - rng.int(k)));
        left = Math.max(0, Math.min(v.w - k, (cell % v.w) - rng.int(k)));
      }
      const d = randomDihedral(rng);
      f.set(dihedral(crop(v.features, C, v.h, v.w, top, left, k, k), C, k, k, d).data, b * C * k * k);
      m.set(dihedral(crop(v.mapChannels, 2, v.h, v.w, top, left, k, k), 2, k, k, d).data, b * 2 * k * k);
      t.set(dihedral(crop(v.target, 1, v.h, v.w, top, left, k, k), 1, k, k, d).data, b * k * k);
    }
    return {
      features: new ort.Tensor('float32', f, [B, C, k, k]),
      map_channels: new ort.Tensor('float32', m, [B, 2, k, k]),
      target: new ort.Tensor('float32', t, [B, 1, k, k]),
    };
  };

  t0 = performance.now();
  const shapes = await probeShapes(forward, makeBatch(0));
  const training = buildTrainingModel(forward, { loss, optimizer: { kind: 'adamw', weightDecay: 1e-4 }, shapes, params: net.params, reportOutputs: [LOSS_TERMS.bce, LOSS_TERMS.dice] });
  const trainer = await Trainer.create(training, { optimizerName: 'adamw' });
  const stepsPerEpoch = Math.max(1, Math.ceil(views.length / B));
  const totalSteps = Math.max(p.minSteps, Math.max(1, p.epochs) * stepsPerEpoch);
  let loop: LoopResult;
  try {
    loop = await runMethodLoop('Few-shot', input, {
      trainer,
      forward,
      totalSteps,
      stepsPerEpoch,
      batchImages: B,
      makeBatch,
      lr: cosineSchedule(p.lr, totalSteps, { warmup: Math.min(20, Math.floor(totalSteps / 10)), floor: 0.05 }),
      reportEvery: stepsPerEpoch,
    });
  } catch (e) {
    await trainer.release();
    throw e;
  }
  const state = trainer.stateTensors();
  const weights = new Map(net.params.map((name) => [name, Float32Array.from(state.get(name)!.data as Float32Array)]));
  await trainer.release();
  timings.trainSeconds = (performance.now() - t0) / 1000;

  const onnx = serializeModel(buildFewShotGraph(s, head, weights, seed, p));

  // Threshold material: good validation images + the labelled images, through the exported model itself.
  t0 = performance.now();
  const valScores: FewShotTrained['valScores'] = [];
  const { session } = await openSession(onnx, 'few-shot model');
  try {
    const scored = [...input.val.filter((r) => r.label === 'good'), ...input.shots.map((x) => x.record)];
    for (const [i, r] of scored.entries()) {
      const pre = await preprocessImage(path.join(input.root, r.path), spec, r.path);
      const out = await session.run({ [INPUT_NAME]: new ort.Tensor('uint8', pre.data, [1, 3, pre.geometry.inHeight, pre.geometry.inWidth]) });
      valScores.push({ path: r.path, label: r.label, score: (out[SCORE_OUTPUT].data as Float32Array)[0] });
      input.onProgress?.({ stage: 'validate', done: i + 1, total: scored.length });
    }
  } finally {
    await session.release();
  }
  timings.validateSeconds = (performance.now() - t0) / 1000;
  return { onnx, spec, backbone: s.backbone, levels: s.levels, valScores, loop, posWeight, cropCells: k, timings };
}
