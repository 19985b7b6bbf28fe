/**
 * PatchCore training: no gradients. Extract patch features of the good training images, keep a bounded random
 * pool of them, choose a greedy coreset as the memory bank, bake bank + feature graph + map post-processing into
 * model.onnx, then score held-out good (or labelled validation) images for the threshold and score statistics.
 *
 * Memory bound: the pool holds at most `poolSize` patches (each image contributes its ⌈poolSize / images⌉ most
 * diverse patches, by a per-image greedy coreset), so 1 000 training images cost the same pool memory as 100: poolSize x C x 4 bytes (60k x 336 -> 80 MB).
 */
import type { ImageRecord } from '../../../shared/dataset.js';
import { StudioError } from '../../../shared/errors.js';
import path from 'node:path';
import { GraphBuilder } from '../../engine/onnx/graph.js';
import { serializeModel } from '../../engine/onnx/proto.js';
import { preprocessImage, type Fit, type PreprocessSpec, type Preprocessed } from '../../data/preprocess.js';
import type { Backbone } from '../backbones/types.js';
import { INPUT_NAME, MAP_OUTPUT, MODEL_METADATA_KEY, SCORE_OUTPUT } from '../modelFolder.js';
import { mulberry32 } from '../random.js';
import { openSession, ort } from '../session.js';
import { anomalyMapAndScore, clampBorder } from './anomalyMap.js';
import { greedyCoreset, greedyCoresetSmall, projectionMatrix } from './coreset.js';
import { imageToUnit, nearestDistance, patchFeatures, type FeatureLevels } from './network.js';

export interface PatchCoreParams {
  /** Two or more feature names of the backbone; the first one's grid is the patch grid (network.ts). */
  levels: string[];
  fit: Fit;
  imageSize: number;
  maxLong: number;
  /** Patch pool cap before coreset selection. */
  poolSize: number;
  /** Memory bank = min(maxBank, coresetRatio x pool). */
  coresetRatio: number;
  maxBank: number;
  projectionDim: number;
  /** When set and < C: bank and test patches are randomly projected to this many dimensions (faster inference). */
  bankDim?: number;
  sigma: number;
  /** Image score = mean of the top `scoreTopFraction` of map pixels; 0 = the map's maximum. */
  scoreTopFraction?: number;
  /** Standardise each image's brightness and contrast in the graph (see network.ts imageToUnit). */
  photometric: boolean;
  /** Reflect padding in input px around the image before the backbone, cropped after (network.ts); 0 = none. */
  reflectPad?: number;
  /** Local-average neighbourhood side, for all levels or per level (3 unless given; network.ts). */
  aggregate?: number | number[];
  /** Patch score = mean distance to the `knn` nearest bank rows (1 = the nearest only, PatchCore's score). */
  knn?: number;
  /** Average the patch scores of the image and its horizontal mirror (2x inference cost). */
  flipTta?: boolean;
  /** Patch-grid cells along each edge replaced by the nearest interior cell before the map (anomalyMap.ts clampBorder). */
  borderCells?: number;
}

export interface TrainProgress {
  stage: 'features' | 'coreset' | 'validate';
  done: number;
  total: number;
}

export interface PatchCoreTrainInput {
  root: string;
  train: ImageRecord[];
  val: ImageRecord[];
  backbone: Backbone;
  params: PatchCoreParams;
  seed: number;
  onProgress?: (p: TrainProgress) => void;
}

export interface PatchCoreTrained {
  onnx: Uint8Array;
  bankSize: number;
  poolPatches: number;
  featureChannels: number;
  levelScale: number[];
  valScores: { path: string; label: string; score: number }[];
  timings: Record<string, number>;
}

export function preprocessSpec(params: PatchCoreParams, backbone: Backbone): PreprocessSpec {
  const strides = params.levels.map((l) => backbone.features.find((f) => f.name === l)?.stride ?? 16);
  return { fit: params.fit, size: params.imageSize, multiple: Math.max(...strides), maxLong: params.maxLong };
}

function levelSpecs(backbone: Backbone, levels: string[]) {
  if (levels.length < 2) throw new StudioError('BAD_REQUEST', `PatchCore needs at least two feature levels, got ${levels.length} (${levels.join(', ')}).`);
  return levels.map((l) => {
    const f = backbone.features.find((x) => x.name === l);
    if (!f) throw new StudioError('BAD_REQUEST', `Backbone ${backbone.name} has no feature "${l}"; it offers ${backbone.features.map((x) => x.name).join(', ')}.`);
    return f;
  });
}

/** Reads images one ahead of the consumer so decoding (libuv threads) overlaps inference. */
async function* prefetched(root: string, images: ImageRecord[], spec: PreprocessSpec): AsyncGenerator<[ImageRecord, Preprocessed]> {
  const load = (r: ImageRecord) => preprocessImage(path.join(root, r.path), spec, r.path);
  let next = images.length ? load(images[0]) : null;
  for (let i = 0; i < images.length; i++) {
    const cur = await next!;
    next = i + 1 < images.length ? load(images[i + 1]) : null;
    yield [images[i], cur];
  }
}

/** [N,C,H,W] mirrored along W. */
function flipWidth(g: GraphBuilder, x: string): string {
  return g.op('Slice', [x, g.constInt64([-1]), g.constInt64([Number.MIN_SAFE_INTEGER]), g.constInt64([3]), g.constInt64([-1])]);
}

function featureLevels(params: PatchCoreParams): FeatureLevels {
  return { levels: params.levels, reflectPad: params.reflectPad, aggregate: params.aggregate };
}

export function buildPatchCoreGraph(backbone: Backbone, params: PatchCoreParams, scale: Float32Array, bank: Float32Array, channels: number, projection?: { matrix: Float32Array; dim: number }): GraphBuilder {
  const g = new GraphBuilder('patchcore');
  const image = g.input(INPUT_NAME, 'uint8', ['N', 3, 'H', 'W']);
  const unit = imageToUnit(g, image, params.photometric);
  // Flip test-time augmentation: the image and its mirror go through as one batch of 2N; their patch scores
  // (the mirror's flipped back) are averaged. Twice the backbone and nearest-neighbour cost.
  const input = params.flipTta ? g.op('Concat', [unit, flipWidth(g, unit)], { axis: 0 }, 'with_mirror') : unit;
  let distances = nearestDistance(g, patchFeatures(g, backbone, input, featureLevels(params), scale), bank, channels, projection, params.knn ?? 1);
  if (params.flipTta) {
    const [direct, mirrored] = g.node('Split', [distances], { axis: 0 }, { outputs: 2 });
    distances = g.op('Mul', [g.op('Add', [direct, flipWidth(g, mirrored)]), g.constFloat(0.5)], {}, 'flip_averaged');
  }
  const patchScores = clampBorder(g, distances, params.borderCells ?? 0);
  const { map, score } = anomalyMapAndScore(g, patchScores, image, params.sigma, params.scoreTopFraction ?? 0);
  g.node('Identity', [map], {}, { outputs: [MAP_OUTPUT] });
  g.node('Identity', [score], {}, { outputs: [SCORE_OUTPUT] });
  g.output(MAP_OUTPUT, 'float32', ['N', 1, 'H', 'W']);
  g.output(SCORE_OUTPUT, 'float32', ['N']);
  return g;
}

export async function trainPatchCore(input: PatchCoreTrainInput): Promise<PatchCoreTrained> {
  const { root, train, val, backbone, params, seed, onProgress } = input;
  if (train.length === 0) throw new StudioError('INVALID_STATE', 'PatchCore needs at least one good training image; the training set is empty.');
  const specs = levelSpecs(backbone, params.levels);
  const pad = params.reflectPad ?? 0;
  const coarsest = Math.max(...specs.map((f) => f.stride));
  if (pad % coarsest !== 0) {
    throw new StudioError('BAD_REQUEST', `PatchCore reflectPad ${pad} must be a multiple of the coarsest feature stride (${coarsest} for ${params.levels.join(' + ')}); use 0, 16 or 32.`);
  }
  // Channel c belongs to level levelOf[c] (levels are concatenated in order).
  const levelOf = specs.flatMap((f, i) => Array.from({ length: f.channels }, () => i));
  const C = levelOf.length;
  const spec = preprocessSpec(params, backbone);
  const timings: Record<string, number> = {};
  let t0 = performance.now();

  // 1. Per-level scale: each level to unit mean patch norm, measured on the first images, so neither level
  // dominates the distance (METHODS.md: with random weights magnitudes shrink ~100x with depth).
  const calib = new GraphBuilder('patchcore_calibration');
  const cimg = calib.input(INPUT_NAME, 'uint8', ['N', 3, 'H', 'W']);
  calib.node('Identity', [patchFeatures(calib, backbone, imageToUnit(calib, cimg, params.photometric), featureLevels(params))], {}, { outputs: ['features'] });
  calib.output('features', 'float32', ['N', C, 'h', 'w']);
  const normSum = specs.map(() => 0);
  let normCount = 0;
  const calibImages = train.slice(0, Math.min(train.length, 16));
  {
    const { session } = await openSession(serializeModel(calib.build()), 'PatchCore calibration graph');
    try {
      for await (const [, pre] of prefetched(root, calibImages, spec)) {
        const { inWidth, inHeight } = pre.geometry;
        const f = (await session.run({ [INPUT_NAME]: new ort.Tensor('uint8', pre.data, [1, 3, inHeight, inWidth]) })).features;
        const [, , h, w] = f.dims as number[];
        const data = f.data as Float32Array;
        const hw = h * w;
        const sq = specs.map(() => 0);
        for (let p = 0; p < hw; p++) {
          sq.fill(0);
          for (let c = 0; c < C; c++) {
            const v = data[c * hw + p];
            sq[levelOf[c]] += v * v;
          }
          for (let l = 0; l < sq.length; l++) normSum[l] += Math.sqrt(sq[l]);
        }
        normCount += hw;
      }
    } finally {
      await session.release();
    }
  }
  const levelScale = normSum.map((sum) => normCount / Math.max(sum, 1e-12));
  const scale = Float32Array.from(levelOf, (l) => levelScale[l]);

  // 2. Feature graph as in the exported model, plus the seeded random projection used for coreset distances.
  const d = Math.min(params.projectionDim, C);
  const R = projectionMatrix(C, d, seed);
  const fg = new GraphBuilder('patchcore_features');
  const image = fg.input(INPUT_NAME, 'uint8', ['N', 3, 'H', 'W']);
  const feats = patchFeatures(fg, backbone, imageToUnit(fg, image, params.photometric), featureLevels(params), scale);
  fg.node('Identity', [feats], {}, { outputs: ['features'] });
  const rows = fg.op('Reshape', [fg.op('Transpose', [feats], { perm: [0, 2, 3, 1] }), fg.constInt64([-1, C])]);
  fg.node('MatMul', [rows, fg.initializer('projection', 'float32', [C, d], R)], {}, { outputs: ['projected'] });
  fg.output('features', 'float32', ['N', C, 'h', 'w']);
  fg.output('projected', 'float32', ['P', d]);
  const { session } = await openSession(serializeModel(fg.build()), 'PatchCore feature graph');

  // 3. Two-stage coreset. Per image, a greedy k-center subset of its patches joins the pool: unlike a random
  // subset, it keeps each image's rare patches (tile edges, chamfers) that would otherwise score as defects.
  const rand = mulberry32(seed + 1);
  const quota = Math.max(1, Math.ceil(params.poolSize / train.length));
  const capacity = Math.min(params.poolSize, quota * train.length);
  const pool = new Float32Array(capacity * C);
  const poolProj = new Float32Array(capacity * d);
  let n = 0;
  try {
    let done = 0;
    for await (const [rec, pre] of prefetched(root, train, spec)) {
      const { inWidth, inHeight } = pre.geometry;
      const out = await session.run({ [INPUT_NAME]: new ort.Tensor('uint8', pre.data, [1, 3, inHeight, inWidth]) });
      const [, ch, h, w] = out.features.dims as number[];
      if (ch !== C) throw new StudioError('INTERNAL', `Feature graph gave ${ch} channels for ${rec.path}, expected ${C}.`);
      const data = out.features.data as Float32Array;
      const proj = out.projected.data as Float32Array;
      const hw = h * w;
      const take = Math.min(hw, quota, capacity - n);
      const picks = take >= hw ? Int32Array.from({ length: hw }, (_, i) => i) : greedyCoresetSmall(proj, hw, d, take, Math.floor(rand() * hw));
      for (let t = 0; t < picks.length; t++) {
        const p = picks[t];
        const row = (n + t) * C;
        for (let c = 0; c < C; c++) pool[row + c] = data[c * hw + p];
        poolProj.set(proj.subarray(p * d, (p + 1) * d), (n + t) * d);
      }
      n += picks.length;
      onProgress?.({ stage: 'features', done: ++done, total: train.length });
    }
  } finally {
    await session.release();
  }
  timings.featuresSeconds = (performance.now() - t0) / 1000;

  // 4. Global greedy coreset over the pool.
  t0 = performance.now();
  const k = Math.max(1, Math.min(params.maxBank, Math.ceil(params.coresetRatio * n)));
  // k >= pool: the per-image coresets already are the bank.
  const picks = k >= n
    ? Int32Array.from({ length: n }, (_, i) => i)
    : await greedyCoreset(poolProj, n, d, k, seed, (done, total) => onProgress?.({ stage: 'coreset', done, total }));
  const bank = new Float32Array(picks.length * C);
  picks.forEach((p, i) => bank.set(pool.subarray(p * C, (p + 1) * C), i * C));
  onProgress?.({ stage: 'coreset', done: k, total: k });
  timings.coresetSeconds = (performance.now() - t0) / 1000;

  // 5. The exported model (optionally with the bank projected to bankDim dimensions).
  let projection: { matrix: Float32Array; dim: number } | undefined;
  let stored = bank;
  if (params.bankDim && params.bankDim < C) {
    const D = params.bankDim;
    const P = projectionMatrix(C, D, seed + 7);
    stored = new Float32Array(picks.length * D);
    for (let m = 0; m < picks.length; m++)
      for (let c = 0; c < C; c++) {
        const v = bank[m * C + c];
        if (v !== 0) for (let j = 0; j < D; j++) stored[m * D + j] += v * P[c * D + j];
      }
    projection = { matrix: P, dim: D };
  }
  const g = buildPatchCoreGraph(backbone, params, scale, stored, C, projection);
  const onnx = serializeModel(g.build({
    producer: 'defect-studio',
    docString: `PatchCore, backbone ${backbone.name}, levels ${params.levels.join('+')}, bank ${picks.length} x ${C}`,
    metadata: { [MODEL_METADATA_KEY]: JSON.stringify({ method: 'patchcore', version: 1 }) },
  }));

  // 6. Validation scores through the exported model itself.
  t0 = performance.now();
  const valScores: PatchCoreTrained['valScores'] = [];
  if (val.length) {
    const { session: vs } = await openSession(onnx, 'PatchCore model');
    try {
      let done = 0;
      for await (const [rec, pre] of prefetched(root, val, spec)) {
        const { inWidth, inHeight } = pre.geometry;
        const out = await vs.run({ [INPUT_NAME]: new ort.Tensor('uint8', pre.data, [1, 3, inHeight, inWidth]) });
        valScores.push({ path: rec.path, label: rec.label, score: (out[SCORE_OUTPUT].data as Float32Array)[0] });
        onProgress?.({ stage: 'validate', done: ++done, total: val.length });
      }
    } finally {
      await vs.release();
    }
  }
  timings.validateSeconds = (performance.now() - t0) / 1000;
  return { onnx, bankSize: picks.length, poolPatches: n, featureChannels: C, levelScale, valScores, timings };
}
