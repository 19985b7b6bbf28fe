/**
 * EAR training and the exported model.
 *
 *   front (shared by training prep and model.onnx):
 *     image uint8 -> [0,1] (optionally photometrically standardised, PatchCore's imageToUnit) -> gray
 *       -> AveragePool by `scale` = the picture the U-Net sees ("target")
 *     image -> backbone attention (attention.ts) -> top-fraction mask, dilated, at the target's size (mask.ts)
 *   training: the attention mask of every training image is computed once; each step takes `batch` random crops
 *     (seeded by seed + step, so a resumed run sees the same batches) of target + mask, adds `randomBoxes`
 *     random rectangles to the mask, flips, and trains  mosaic-hint -> U-Net (all skips on) -> recovered  with
 *     L1 + SSIM loss through the engine (buildTrainingModel, Trainer, runTrainingLoop: checkpoints, resume, cancel).
 *   model.onnx: front -> hint -> U-Net (inferenceSkips, shallow off) -> error map (feature space, featureError.ts;
 *     or |x - x̂| + w·(1 - SSIM)/2) -> PatchCore's resize + Gaussian smoothing as two MatMuls (patchcore/anomalyMap.ts upsampleAndSmooth)
 *     + max / top-fraction score (anomalyMap.ts mapScore). One pass per image.
 */
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ImageRecord } from '../../../shared/dataset.js';
import { StudioError } from '../../../shared/errors.js';
import { probeShapes } from '../../engine/autodiff/shapes.js';
import { Net } from '../../engine/layers/index.js';
import { GraphBuilder } from '../../engine/onnx/graph.js';
import { serializeModel, type ModelProto } from '../../engine/onnx/proto.js';
import { buildTrainingModel } from '../../engine/optim/trainingGraph.js';
import { cosineSchedule, type LoopResult } from '../../engine/runtime/loop.js';
import { runMethodLoop } from '../methodLoop.js';
import { Rng } from '../../engine/rng.js';
import { Trainer } from '../../engine/runtime/trainer.js';
import { preprocessImage, type PreprocessSpec } from '../../data/preprocess.js';
import { pairedPass } from '../backbones/embed.js';
import type { Backbone } from '../backbones/types.js';
import { INPUT_NAME, MAP_OUTPUT, MODEL_METADATA_KEY, SCORE_OUTPUT } from '../modelFolder.js';
import { clampBorder, mapScore, upsampleAndSmooth } from '../patchcore/anomalyMap.js';
import { imageToUnit } from '../patchcore/network.js';
import { openSession } from '../session.js';
import type { TrainProgressEvent } from '../types.js';
import { attentionLevel, attentionMap, type AttentionSignal } from './attention.js';
import { obfuscate, selectMask, type HintMode } from './mask.js';
import { channelMeans, embedGrayBackbone, featureError, featureSquaredDiffs, localMean } from './featureError.js';
import { ssimMap } from './ssim.js';
import { adoptWeights, unet, type WeightMap } from './unet.js';

export interface EarParams {
  /** Model input short side (px) and long-side cap. */
  imageSize: number;
  maxLong: number;
  /** The U-Net works on the gray picture downsampled by this integer factor (speed). */
  scale: number;
  photometric: boolean;
  attention: AttentionSignal;
  /** Fraction of attention cells excised (before dilation); 0 = no mask (ablation). */
  maskFraction: number;
  /** Dilation of the mask in attention cells. */
  dilate: number;
  hint: HintMode;
  /** Mosaic block size in U-Net pixels. */
  mosaicCell: number;
  /** U-Net channels per level, shallow first. */
  channels: number[];
  /** Skip switches at inference, shallow first (training always has every skip on). */
  inferenceSkips: boolean[];
  steps: number;
  /** When set (the CLI's --epochs): steps = epochs x ⌈training images / batch⌉ instead of `steps`. */
  epochs?: number;
  batch: number;
  /** Training crop side in U-Net pixels (the U-Net is fully convolutional; inference runs on whole images). */
  crop: number;
  lr: number;
  /** Random rectangles added to each training crop's mask, so recovery is learnt everywhere, not only where
   *  the attention points on good images. */
  randomBoxes: number;
  l1Weight: number;
  ssimWeight: number;
  /** Weight of the perceptual training term: mean squared difference of the frozen backbone's `featureLevels`
   *  between the crop and its recovery (both bilinearly enlarged by `scale`, as x̂ is at inference), averaged over
   *  the levels; 0 = pixel losses only. It approximates, not reproduces, the error the exported model scores: that
   *  one compares the full-size image (not the enlarged U-Net target) and normalises each channel. Off by default:
   *  it lost at 1500 steps (README run I). */
  featureLossWeight: number;
  /** 'pixel': error map = |x − x̂| + errorSsimWeight · (1 − SSIM) / 2 on the U-Net picture; 'feature': x and x̂
   *  compared through the frozen backbone's `featureLevels`, normalised by good training images (featureError.ts). */
  errorSpace: 'pixel' | 'feature';
  featureLevels: string[];
  /** Side (cells of the error map, 1 = none) of its local average after the border band (featureError.ts
   *  localMean): block_5 cells for the feature error, U-Net pixels for the pixel error. */
  errorPool: number;
  /** Training images (evenly spaced) whose feature differences give the per-channel normalisation. */
  statsImages: number;
  errorSsimWeight: number;
  /** Reflect padding (U-Net pixels, a multiple of 2^levels) around the U-Net's input at inference; 0 = none. */
  unetPad: number;
  /** Weight of the error outside the excision mask (1 = the whole map counts alike). */
  outsideMaskWeight: number;
  /** 'mean': the error map divided by the image's own mean error, so a defect is a local outlier against the
   *  image's recovery-error level (textured shots recover worse everywhere); 'none': the raw error. */
  errorNorm: 'none' | 'mean';
  /** Border band whose error is replaced by the nearest interior error: the image borders of real shots (tile
   *  edges, vignetting, conv padding) otherwise hold the map's maximum on good images (README.md). In U-Net
   *  pixels for the pixel error, in cells of the finest feature level for the feature error. */
  borderMargin: number;
  /** Smoothing σ in model-input pixels and image score = mean of the top fraction of the map (0 = max). */
  sigma: number;
  scoreTopFraction: number;
}

export function modelMultiple(p: EarParams, backbone: Backbone): number {
  return Math.max(p.scale * 2 ** p.channels.length, p.scale * p.mosaicCell, attentionLevel(backbone, p.attention).stride);
}

export function preprocessSpec(p: EarParams, backbone: Backbone): PreprocessSpec {
  return { fit: 'short-side', size: p.imageSize, multiple: modelMultiple(p, backbone), maxLong: p.maxLong };
}

/**
 * image -> target (gray, downsampled), the excision mask at the target's size, and the backbone features of the
 * full-size gray image: one backbone pass serves the attention and (errorSpace 'feature') the comparison.
 */
function front(g: GraphBuilder, backbone: Backbone, p: EarParams, image: string): { target: string; mask: string; feats: Record<string, string> } {
  const unit = imageToUnit(g, image, p.photometric);
  const gray = g.op('ReduceMean', [unit], { axes: [1], keepdims: 1 }, 'gray');
  const target = p.scale > 1 ? g.op('AveragePool', [gray], { kernel_shape: [p.scale, p.scale], strides: [p.scale, p.scale] }, 'unet_input') : gray;
  const attention = attentionLevel(backbone, p.attention).name;
  const levels = [...new Set([...(p.maskFraction > 0 ? [attention] : []), ...(p.errorSpace === 'feature' ? p.featureLevels : [])])];
  const feats = levels.length ? embedGrayBackbone(g, backbone, gray, levels, 'backbone/') : {};
  const mask = p.maskFraction > 0 ? selectMask(g, attentionMap(g, feats[attention], p.attention), target, p.maskFraction, p.dilate) : selectMask(g, target, target, 0, 0);
  return { target, mask, feats };
}

/** image -> front -> hint -> U-Net with `skips` (trained `weights` adopted when given): the picture and its recovery. */
function recover(g: GraphBuilder, backbone: Backbone, p: EarParams, image: string, seed: number, weights: WeightMap | undefined, skips: readonly boolean[]): { target: string; recovered: string; mask: string; feats: Record<string, string> } {
  const { target, mask, feats } = front(g, backbone, p, image);
  const hinted = obfuscate(g, target, mask, p.hint, p.mosaicCell);
  const m = p.unetPad;
  // Reflect-padding the U-Net's input moves its own border effects (zero-padded convs without the shallow skip)
  // out of the picture; the recovery is cut back to the picture's size.
  const input = m > 0 ? g.op('Pad', [hinted, g.constInt64([0, 0, m, m, 0, 0, m, m])], { mode: 'reflect' }, 'unet_padded_input') : hinted;
  let recovered = unet(new Net(g, seed), input, { channels: p.channels, inChannels: 1 }, skips, false);
  if (m > 0) recovered = g.op('Slice', [recovered, g.constInt64([m, m]), g.constInt64([-m, -m]), g.constInt64([2, 3])], {}, 'recovered_unpadded');
  if (weights) adoptWeights(g, weights);
  return { target, recovered, mask, feats };
}

function featureChannels(backbone: Backbone, levels: readonly string[]): number[] {
  return levels.map((l) => {
    const f = backbone.features.find((x) => x.name === l);
    if (!f) throw new StudioError('UNSUPPORTED', `EAR featureLevels: backbone ${backbone.name} has no level "${l}"; it offers ${backbone.features.map((x) => x.name).join(', ')}.`);
    return f.channels;
  });
}

/**
 * The exported single-pass graph: image -> attention mask -> hint -> U-Net -> error map -> smoothed map + score.
 * `skips` defaults to p.inferenceSkips; `weights` (trained values) replace the seeded initial ones; `featureStats`
 * (errorSpace 'feature') = per level, each channel's mean squared difference on good images (measureFeatureStats).
 */
export function buildEarGraph(backbone: Backbone, p: EarParams, seed: number, weights?: WeightMap, skips = p.inferenceSkips, featureStats?: Float32Array[]): GraphBuilder {
  const g = new GraphBuilder('ear');
  const image = g.input(INPUT_NAME, 'uint8', ['N', 3, 'H', 'W']);
  const { target, recovered, mask, feats } = recover(g, backbone, p, image, seed, weights, skips);
  let err: string;
  if (p.errorSpace === 'feature') {
    const diffs = featureSquaredDiffs(g, backbone, feats, recovered, image, p.featureLevels);
    err = featureError(g, diffs, featureChannels(backbone, p.featureLevels), featureStats);
  } else {
    const absErr = g.op('Abs', [g.op('Sub', [recovered, target])], {}, 'pixel_error');
    const ssimErr = g.op('Mul', [g.op('Sub', [g.constFloat(1), ssimMap(g, recovered, target, true)]), g.constFloat(p.errorSsimWeight / 2)], {}, 'ssim_error');
    err = g.op('Add', [absErr, ssimErr], {}, 'error_map');
  }
  if (p.outsideMaskWeight < 1) {
    // The excised region is where the recovery is an inpainting; elsewhere it is mostly a copy.
    const cover = g.op('Resize', [mask, '', '', g.op('Shape', [err])], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }, 'mask_cover');
    const weight = g.op('Add', [g.op('Mul', [cover, g.constFloat(1 - p.outsideMaskWeight)]), g.constFloat(p.outsideMaskWeight)]);
    err = g.op('Mul', [err, weight], {}, 'mask_weighted_error');
  }
  err = localMean(g, clampBorder(g, err, p.borderMargin), p.errorPool);
  if (p.errorNorm === 'mean') err = g.op('Div', [err, g.op('Add', [g.op('ReduceMean', [err], { axes: [1, 2, 3], keepdims: 1 }), g.constFloat(1e-3)])], {}, 'relative_error');
  const map = upsampleAndSmooth(g, err, image, p.sigma);
  const score = mapScore(g, map, p.scoreTopFraction);
  g.node('Identity', [map], {}, { outputs: [MAP_OUTPUT] });
  g.node('Identity', [score], {}, { outputs: [SCORE_OUTPUT] });
  g.output(MAP_OUTPUT, 'float32', ['N', 1, 'H', 'W']);
  g.output(SCORE_OUTPUT, 'float32', ['N']);
  return g;
}

/**
 * Per level, each channel's mean squared feature difference between picture and recovery over `images` (good
 * training images): the normalisation of the feature error. One run of the exported front + U-Net per image.
 */
export async function measureFeatureStats(root: string, images: ImageRecord[], backbone: Backbone, p: EarParams, seed: number, weights: WeightMap): Promise<Float32Array[]> {
  const g = new GraphBuilder('ear_feature_stats');
  const image = g.input(INPUT_NAME, 'uint8', ['N', 3, 'H', 'W']);
  const { recovered, feats } = recover(g, backbone, p, image, seed, weights, p.inferenceSkips);
  const means = channelMeans(g, featureSquaredDiffs(g, backbone, feats, recovered, image, p.featureLevels));
  means.forEach((m, i) => {
    g.node('Identity', [m], {}, { outputs: [`level${i}`] });
    g.output(`level${i}`, 'float32');
  });
  const sums = featureChannels(backbone, p.featureLevels).map((c) => new Float64Array(c));
  const spec = preprocessSpec(p, backbone);
  const { session } = await openSession(serializeModel(g.build()), 'EAR feature statistics graph');
  try {
    for (const rec of images) {
      const pre = await preprocessImage(path.join(root, rec.path), spec, rec.path);
      const { inWidth, inHeight } = pre.geometry;
      const r = await session.run({ [INPUT_NAME]: new ort.Tensor('uint8', pre.data, [1, 3, inHeight, inWidth]) });
      sums.forEach((s, i) => (r[`level${i}`].data as Float32Array).forEach((v, c) => (s[c] += v)));
    }
  } finally {
    await session.release();
  }
  return sums.map((s) => Float32Array.from(s, (v) => v / Math.max(1, images.length)));
}

/** `count` evenly spaced items of `items` (all when fewer). */
function evenlySpaced<T>(items: T[], count: number): T[] {
  if (items.length <= count) return items;
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]);
}

/**
 * The perceptual term: per level, the mean over batch, channels and positions of (f(up(target)) − f(up(x̂)))²,
 * averaged over the levels; `up` = bilinear ×scale, the size the model compares at. The backbone is frozen (its
 * weights are graph constants, not trained parameters) and embedded once: target and recovery go through it as one
 * batch (pairedPass).
 */
function featureLoss(g: GraphBuilder, backbone: Backbone, p: EarParams, target: string, recovered: string): string {
  const up = (v: string) => (p.scale > 1 ? g.op('Resize', [v, '', g.constFloat([1, 1, p.scale, p.scale])], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }) : v);
  const [fx, fr] = pairedPass(g, up(target), up(recovered), p.batch, (x) => {
    const f = embedGrayBackbone(g, backbone, x, p.featureLevels, 'loss_backbone/');
    return p.featureLevels.map((l) => f[l]);
  });
  const perLevel = p.featureLevels.map((_, i) => {
    const d = g.op('Sub', [fx[i], fr[i]]);
    return g.op('ReduceMean', [g.op('Mul', [d, d])], { keepdims: 0 });
  });
  const sum = perLevel.slice(1).reduce((a, b) => g.op('Add', [a, b]), perLevel[0]);
  return g.node('Mul', [sum, g.constFloat(1 / perLevel.length)], {}, { outputs: ['feature_loss'] })[0];
}

/** The training forward graph: (target, mask) -> hint -> U-Net (all skips on) -> L1 + SSIM (+ perceptual) loss. */
export function buildEarTrainingForward(p: EarParams, seed: number, backbone?: Backbone): { model: ModelProto; params: string[]; loss: string; terms: string[] } {
  const g = new GraphBuilder('ear_train');
  const target = g.input('target', 'float32', [p.batch, 1, 'h', 'w']);
  const mask = g.input('mask', 'float32', [p.batch, 1, 'h', 'w']);
  const net = new Net(g, seed);
  const recovered = unet(net, obfuscate(g, target, mask, p.hint, p.mosaicCell), { channels: p.channels, inChannels: 1 }, p.channels.map(() => true), true);
  const [l1] = g.node('ReduceMean', [g.op('Abs', [g.op('Sub', [recovered, target])])], { keepdims: 0 }, { outputs: ['l1'] });
  const [ssim] = g.node('Sub', [g.constFloat(1), g.op('ReduceMean', [ssimMap(g, recovered, target, false)], { keepdims: 0 })], {}, { outputs: ['ssim_loss'] });
  const terms = [l1, ssim];
  let total = g.op('Add', [g.op('Mul', [l1, g.constFloat(p.l1Weight)]), g.op('Mul', [ssim, g.constFloat(p.ssimWeight)])]);
  if (p.featureLossWeight > 0) {
    if (!backbone) throw new StudioError('INTERNAL', 'EAR featureLossWeight > 0 needs the backbone in the training graph.');
    const feature = featureLoss(g, backbone, p, target, recovered);
    terms.push(feature);
    total = g.op('Add', [total, g.op('Mul', [feature, g.constFloat(p.featureLossWeight)])]);
  }
  const [loss] = g.node('Identity', [total], {}, { outputs: ['loss'] });
  g.output(loss, 'float32', []);
  for (const t of terms) g.output(t, 'float32', []);
  return { model: g.build(), params: net.params, loss, terms };
}

interface Picture {
  w: number;
  h: number;
  target: Float32Array;
  mask: Float32Array;
}

async function prepare(root: string, images: ImageRecord[], backbone: Backbone, p: EarParams, onProgress?: (e: TrainProgressEvent) => void): Promise<Picture[]> {
  const g = new GraphBuilder('ear_prepare');
  const image = g.input(INPUT_NAME, 'uint8', ['N', 3, 'H', 'W']);
  const { target, mask } = front(g, backbone, p, image);
  g.node('Identity', [target], {}, { outputs: ['target'] });
  g.node('Identity', [mask], {}, { outputs: ['mask'] });
  g.output('target', 'float32');
  g.output('mask', 'float32');
  const { session } = await openSession(serializeModel(g.build()), 'EAR attention graph');
  const spec = preprocessSpec(p, backbone);
  const out: Picture[] = [];
  try {
    for (const rec of images) {
      const pre = await preprocessImage(path.join(root, rec.path), spec, rec.path);
      const { inWidth, inHeight } = pre.geometry;
      const r = await session.run({ [INPUT_NAME]: new ort.Tensor('uint8', pre.data, [1, 3, inHeight, inWidth]) });
      const [, , h, w] = r.target.dims as number[];
      out.push({ w, h, target: Float32Array.from(r.target.data as Float32Array), mask: Float32Array.from(r.mask.data as Float32Array) });
      onProgress?.({ stage: 'attention', done: out.length, total: images.length });
    }
  } finally {
    await session.release();
  }
  return out;
}

/** The batch of one step: depends only on (seed, step), so resumed training sees the same batches. */
export function makeBatchFor(pictures: Picture[], p: EarParams, crop: number, seed: number): (step: number) => Record<string, ort.Tensor> {
  return (step) => {
    const rng = new Rng(seed * 100_003 + step);
    const n = crop * crop;
    const target = new Float32Array(p.batch * n);
    const mask = new Float32Array(p.batch * n);
    for (let b = 0; b < p.batch; b++) {
      const pic = pictures[rng.int(pictures.length)];
      const align = p.mosaicCell; // crops on the mosaic grid, like whole images at inference
      const x0 = rng.int(Math.floor((pic.w - crop) / align) + 1) * align;
      const y0 = rng.int(Math.floor((pic.h - crop) / align) + 1) * align;
      const flipX = rng.next() < 0.5;
      const flipY = rng.next() < 0.5;
      for (let y = 0; y < crop; y++)
        for (let x = 0; x < crop; x++) {
          const sx = x0 + (flipX ? crop - 1 - x : x);
          const sy = y0 + (flipY ? crop - 1 - y : y);
          target[b * n + y * crop + x] = pic.target[sy * pic.w + sx];
          mask[b * n + y * crop + x] = pic.mask[sy * pic.w + sx];
        }
      for (let k = 0; k < p.randomBoxes; k++) {
        const bw = Math.max(2, Math.round(crop * rng.uniform(0.08, 0.35)));
        const bh = Math.max(2, Math.round(crop * rng.uniform(0.08, 0.35)));
        const bx = rng.int(crop - bw + 1);
        const by = rng.int(crop - bh + 1);
        for (let y = by; y < by + bh; y++) mask.fill(1, b * n + y * crop + bx, b * n + y * crop + bx + bw);
      }
    }
    return { target: new ort.Tensor('float32', target, [p.batch, 1, crop, crop]), mask: new ort.Tensor('float32', mask, [p.batch, 1, crop, crop]) };
  };
}

export interface EarTrainInput {
  root: string;
  train: ImageRecord[];
  val: ImageRecord[];
  backbone: Backbone;
  params: EarParams;
  seed: number;
  onProgress?: (e: TrainProgressEvent) => void;
  signal?: AbortSignal;
  workDir?: string;
  resume?: boolean;
}

export interface EarTrained {
  onnx: Uint8Array;
  valScores: { path: string; label: string; score: number }[];
  loop: Pick<LoopResult, 'steps' | 'startStep' | 'seconds'> & { firstLoss: number | null; lastLoss: number | null };
  crop: number;
  timings: Record<string, number>;
}

export async function trainEar(input: EarTrainInput): Promise<EarTrained> {
  const { root, train, val, backbone, params: p, seed } = input;
  if (train.length === 0) throw new StudioError('INVALID_STATE', 'EAR needs at least one good training image; the training set is empty.');
  if (p.inferenceSkips.length !== p.channels.length) {
    throw new StudioError('BAD_REQUEST', `EAR skips: ${p.channels.length} U-Net levels need ${p.channels.length} switches (e.g. --skips ${p.channels.map((_, i) => (i === 0 ? 0 : 1)).join(',')}), got ${p.inferenceSkips.length}.`);
  }
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const pictures = await prepare(root, train, backbone, p, input.onProgress);
  timings.attentionSeconds = (performance.now() - t0) / 1000;

  // Crop: the requested side, capped by the smallest picture, on the U-Net's 2^levels grid.
  const unit = 2 ** p.channels.length;
  const smallest = Math.min(...pictures.map((x) => Math.min(x.w, x.h)));
  const crop = Math.floor(Math.min(p.crop, smallest) / unit) * unit;
  if (crop < unit) throw new StudioError('BAD_REQUEST', `EAR: the training pictures (${smallest} px after scale ${p.scale}) are smaller than the U-Net's ${unit} px grid; raise --image-size.`);

  t0 = performance.now();
  const fwd = buildEarTrainingForward(p, seed, backbone);
  const makeBatch = makeBatchFor(pictures, p, crop, seed);
  const shapes = await probeShapes(fwd.model, makeBatch(0));
  const training = buildTrainingModel(fwd.model, { loss: fwd.loss, optimizer: { kind: 'adam' }, shapes, params: fwd.params, reportOutputs: fwd.terms });
  const trainer = await Trainer.create(training, { optimizerName: 'adam' });
  const stepsPerEpoch = Math.max(1, Math.ceil(train.length / p.batch));
  const totalSteps = p.epochs ? p.epochs * stepsPerEpoch : p.steps;
  let loop: LoopResult;
  const weights: WeightMap = new Map();
  try {
    loop = await runMethodLoop('EAR', input, {
      trainer,
      forward: fwd.model,
      totalSteps,
      stepsPerEpoch,
      batchImages: p.batch,
      makeBatch,
      lr: cosineSchedule(p.lr, totalSteps, { warmup: Math.min(50, Math.floor(totalSteps / 10)), floor: 0.05 }),
      reportEvery: 10,
    });
    for (const [k, v] of trainer.stateTensors()) weights.set(k, { dims: v.dims, data: Float32Array.from(v.data as Float32Array) });
  } finally {
    await trainer.release();
  }
  timings.trainSeconds = (performance.now() - t0) / 1000;

  t0 = performance.now();
  const featureStats = p.errorSpace === 'feature' ? await measureFeatureStats(root, evenlySpaced(train, p.statsImages), backbone, p, seed, weights) : undefined;
  timings.featureStatsSeconds = (performance.now() - t0) / 1000;
  const g = buildEarGraph(backbone, p, seed, weights, p.inferenceSkips, featureStats);
  const onnx = serializeModel(g.build({
    producer: 'defect-studio',
    docString: `EAR, attention ${p.attention} on ${backbone.name}, U-Net ${p.channels.join('/')} with skips ${p.inferenceSkips.map(Number).join(',')}`,
    metadata: { [MODEL_METADATA_KEY]: JSON.stringify({ method: 'ear', version: 1 }) },
  }));

  t0 = performance.now();
  const valScores: EarTrained['valScores'] = [];
  if (val.length) {
    const spec = preprocessSpec(p, backbone);
    const { session } = await openSession(onnx, 'EAR model');
    try {
      for (const rec of val) {
        const pre = await preprocessImage(path.join(root, rec.path), spec, rec.path);
        const { inWidth, inHeight } = pre.geometry;
        const out = await session.run({ [INPUT_NAME]: new ort.Tensor('uint8', pre.data, [1, 3, inHeight, inWidth]) });
        valScores.push({ path: rec.path, label: rec.label, score: (out[SCORE_OUTPUT].data as Float32Array)[0] });
        input.onProgress?.({ stage: 'validate', done: valScores.length, total: val.length });
      }
    } finally {
      await session.release();
    }
  }
  timings.validateSeconds = (performance.now() - t0) / 1000;
  const losses = loop.losses;
  return {
    onnx,
    valScores,
    crop,
    timings,
    loop: { steps: loop.steps, startStep: loop.startStep, seconds: loop.seconds, firstLoss: losses[0] ?? null, lastLoss: losses.at(-1) ?? null },
  };
}
