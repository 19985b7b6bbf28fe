/**
 * KD training: the student learns to reproduce the frozen teacher's features on good images, with our engine
 * (buildTrainingModel -> Trainer -> runTrainingLoop: Adam, cosine schedule, checkpoint every epoch, cancel and
 * deterministic resume). Then the inference graph (teacher + trained student + maps) is built and held-out images
 * are scored through it for the threshold.
 *
 * Batches: random crops (cropSize²) of the preprocessed training images with random horizontal/vertical flips
 * (light augmentation; crops also make a step 4x cheaper than whole 256 px images). The photometric
 * standardisation uses the whole image's statistics, exactly as the exported graph does at inference.
 */
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ImageRecord } from '../../../shared/dataset.js';
import { StudioError } from '../../../shared/errors.js';
import { preprocessImage, type Fit, type PreprocessSpec } from '../../data/preprocess.js';
import { probeShapes } from '../../engine/autodiff/shapes.js';
import { Net } from '../../engine/layers/index.js';
import { GraphBuilder } from '../../engine/onnx/graph.js';
import { arrayToTensor, serializeModel, type ModelProto, type TypedArray } from '../../engine/onnx/proto.js';
import { buildTrainingModel } from '../../engine/optim/trainingGraph.js';
import { cosineSchedule, type LoopResult } from '../../engine/runtime/loop.js';
import { loopSummary, runMethodLoop, stageProgress, type LoopSummary } from '../methodLoop.js';
import { claimCheckpoint, dropStaleHeads, HEAD_DIR_PREFIX, trainListSettings, type StagedWorkDir } from '../workDir.js';
import { Trainer } from '../../engine/runtime/trainer.js';
import { Rng } from '../../engine/rng.js';
import { pairedPass } from '../backbones/embed.js';
import type { Backbone } from '../backbones/types.js';
import { INPUT_NAME, MAP_OUTPUT, MODEL_METADATA_KEY, SCORE_OUTPUT } from '../modelFolder.js';
import { anomalyMapAndScore } from '../patchcore/anomalyMap.js';
import { imageToUnit } from '../patchcore/network.js';
import { openSession } from '../session.js';
import type { TrainProgressEvent } from '../types.js';
import { pasteAnomaly } from '../synthAnomaly.js';
import { buildSegHead, discrepancyFeatures, headInputChannels, trainSegHead } from './segHead.js';
import { buildReverseStudent, buildStudent, combineLevelMaps, localMean, suppressBorder, cosineDistance, levelSpecs, teacherFeatures, type StudentConfig } from './network.js';

export interface KdParams {
  /** Teacher feature names (finest first after sorting by stride). */
  levels: string[];
  /** Student channels per level. */
  widths: number[];
  /** Residual blocks per student stage. */
  blocks: number;
  /** 'forward' student-teacher or 'reverse' distillation (network.ts buildReverseStudent). */
  architecture: 'forward' | 'reverse';
  /** Reverse: bottleneck channels (default 2 x the deepest width). */
  bottleneckWidth?: number;
  /**
   * Per-level map normalisation before the levels are summed, from the level maps of the held-out good images:
   * 'none', 'mean' (divide by the level's mean distance) or 'zscore' ((d − mean) / std), so one level's noise
   * does not dominate the sum.
   */
  levelNorm: 'none' | 'mean' | 'zscore';
  /**
   * r: teacher and student features are averaged over a (2r+1)² neighbourhood before the cosine, in the loss and in
   * the map (PatchCore's local aggregation: a smoother, more predictable target on noisy textures); 0 = off.
   */
  featurePool: number;
  /**
   * Cells of the combined map (finest level's grid) along each image border replaced by the nearest interior
   * cell: tile edges and dark margins of real shots otherwise hold the good images' maximum (EAR README).
   */
  borderCells: number;
  /**
   * Training loss per level: 'position' = mean over positions of 1 − cos along channels; 'flat' = 1 − cos of the
   * whole (pooled) feature map flattened to one vector per image, as in the reverse-distillation authors' code
   * (positions with large teacher features weigh more; the map is still the per-position distance).
   */
  lossShape?: 'position' | 'flat';
  useSimam: boolean;
  useSspcab: boolean;
  /** Weight λ of SSPCAB's reconstruction loss. */
  sspcabWeight: number;
  epochs: number;
  /** Optional cap on the student's steps (quick runs, tests); the head still trains `headEpochs`. */
  maxSteps?: number;
  batch: number;
  lr: number;
  /** Side of the square training crops (a multiple of the deepest level's stride). */
  cropSize: number;
  fit: Fit;
  imageSize: number;
  maxLong: number;
  /** Gaussian σ of the map blur, in input pixels. */
  sigma: number;
  /** Image score = mean of the top fraction of map pixels; 0 = the maximum. */
  scoreTopFraction: number;
  photometric: boolean;
  /**
   * Denoising student (DeSTSeg): the probability that a training crop reaches the student with a synthetic anomaly
   * pasted in (synthAnomaly.ts) while the loss targets stay the clean crop's teacher features; 0 = off. In reverse
   * distillation the corrupted crop goes through the teacher encoder into the student's bottleneck.
   */
  denoise?: number;
  /** Denoising: each corrupted crop carries 1 to this many anomalies (default 1). */
  denoiseAnomalies?: number;
  /**
   * 'seg': DeSTSeg's segmentation head (segHead.ts), trained in a second stage on the frozen teacher-student pair
   * with synthetic defects, gives the map; 'none' (default): the cosine map alone.
   */
  head?: 'none' | 'seg';
  /** With the head: the map is its probability ('seg') or (probability + headFloor) times the cosine map ('product'). */
  headMap?: 'seg' | 'product';
  /**
   * 'product': added to the probability before it multiplies the cosine map, so cells the head calls good keep the
   * cosine map's ranking (scaled by the floor) instead of all collapsing to ~0; 0 = the plain product.
   */
  headFloor?: number;
  /** Head training epochs (same epoch length as the student's). */
  headEpochs?: number;
  /** Head: channels of its two 3x3 convs. */
  headWidth?: number;
  headLr?: number;
  /** Head: share of its training crops that carry synthetic anomalies (the rest teach it quiet on good texture). */
  headAnomalyRate?: number;
  /** Head: how the pixel mask becomes the target on its grid (segHead.ts poolMask). */
  headMaskRule?: 'any' | 'half';
  /** Head: also reads the teacher's normalised features, not only T̂ ⊙ Ŝ (segHead.ts discrepancyFeatures). */
  headTeacher?: boolean;
}

/** Head settings where KdParams leaves them out. */
const HEAD_DEFAULTS = { headMap: 'seg', headEpochs: 10, headWidth: 64, headLr: 1e-3, headAnomalyRate: 0.75, headMaskRule: 'any' } as const;

export interface KdTrainInput {
  root: string;
  train: ImageRecord[];
  val: ImageRecord[];
  backbone: Backbone;
  params: KdParams;
  seed: number;
  onProgress?: (e: TrainProgressEvent) => void;
  signal?: AbortSignal;
  workDir?: string;
  resume?: boolean;
}

export interface KdTrained {
  onnx: Uint8Array;
  valScores: { path: string; label: string; score: number }[];
  loop: LoopSummary;
  /** Stage 2 (head 'seg'): the segmentation head's loop. */
  headLoop?: LoopSummary;
  /** Per-level map statistics on the good held-out images (levelNorm), stored in model.json for the record. */
  levelStats?: LevelStats[];
  timings: Record<string, number>;
}

/** The stride every input side must be a multiple of: the deepest level's, or the reverse bottleneck's (2x). */
export function inputMultiple(p: Pick<KdParams, 'levels' | 'architecture'>, backbone: Backbone): number {
  const deepest = Math.max(...levelSpecs(backbone, p.levels).map((l) => l.stride));
  return p.architecture === 'reverse' ? 2 * deepest : deepest;
}

export function preprocessSpec(p: KdParams, backbone: Backbone): PreprocessSpec {
  return { fit: p.fit, size: p.imageSize, multiple: inputMultiple(p, backbone), maxLong: p.maxLong };
}

export function studentConfig(p: KdParams, backbone: Backbone): StudentConfig {
  return {
    levels: levelSpecs(backbone, p.levels),
    widths: p.widths,
    blocks: p.blocks,
    useSimam: p.useSimam,
    useSspcab: p.useSspcab,
    architecture: p.architecture,
    bottleneckWidth: p.bottleneckWidth,
  };
}

/** The student's level features: from the image (forward) or from the teacher's features (reverse). */
function studentOf(net: Net, unit: string, teacher: string[], cfg: StudentConfig, training: boolean) {
  return cfg.architecture === 'reverse' ? buildReverseStudent(net, teacher, cfg, training) : buildStudent(net, unit, cfg, training);
}

/**
 * A training image kept as uint8 planes plus the statistics its crops are standardised with (makeCropFn:
 * (x/255 − mean)·0.2/std + 0.5, imageToUnit's photometric standardisation with the whole image's statistics).
 */
export interface Loaded {
  data: Uint8Array;
  h: number;
  w: number;
  mean: number;
  std: number;
}

/**
 * `data` [3,h,w] as a training image. Without `photometric` the exported graph feeds x/255 to the teacher, so the
 * statistics are mean 0.5, std 0.2, which make makeCropFn's standardisation that identity.
 */
export function loadedImage(data: Uint8Array, h: number, w: number, photometric: boolean): Loaded {
  if (!photometric) return { data, h, w, mean: 0.5, std: 0.2 };
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i];
  const mean = s / data.length / 255;
  let v = 0;
  for (let i = 0; i < data.length; i++) v += (data[i] / 255 - mean) ** 2;
  return { data, h, w, mean, std: Math.sqrt(v / data.length + 1e-6) };
}

async function loadImages(root: string, images: ImageRecord[], spec: PreprocessSpec, photometric: boolean, onProgress?: (e: TrainProgressEvent) => void): Promise<Loaded[]> {
  const out: Loaded[] = [];
  for (const r of images) {
    const pre = await preprocessImage(path.join(root, r.path), spec, r.path);
    out.push(loadedImage(pre.data, pre.geometry.inHeight, pre.geometry.inWidth, photometric));
    onProgress?.({ stage: 'load', done: out.length, total: images.length });
  }
  return out;
}

/** Training forward graph: unit crops [B,3,c,c] -> loss (+ reported per-level and SSPCAB terms). */
export function buildTrainingForward(backbone: Backbone, cfg: StudentConfig, p: Pick<KdParams, 'sspcabWeight'> & Partial<Pick<KdParams, 'featurePool' | 'lossShape' | 'denoise'>>, batch: number, crop: number, seed: number) {
  const g = new GraphBuilder('kd_train');
  const unit = g.input('unit', 'float32', [batch, 3, crop, crop]);
  const net = new Net(g, seed);
  let teacher: string[];
  let student: ReturnType<typeof studentOf>;
  if ((p.denoise ?? 0) > 0) {
    // Clean and corrupted crops through one teacher pass (one copy of its weights): the student works from the
    // corrupted half, the targets are the clean half.
    const noisy = g.input('noisy', 'float32', [batch, 3, crop, crop]);
    const [clean, corrupted] = pairedPass(g, unit, noisy, batch, (x) => teacherFeatures(g, backbone, x, cfg.levels));
    teacher = clean;
    student = studentOf(net, noisy, corrupted, cfg, true);
  } else {
    teacher = teacherFeatures(g, backbone, unit, cfg.levels);
    student = studentOf(net, unit, teacher, cfg, true);
  }
  const terms: string[] = [];
  cfg.levels.forEach((l, i) => {
    const t = localMean(g, teacher[i], p.featurePool ?? 0);
    const s = localMean(g, student.features[i], p.featurePool ?? 0);
    const d = p.lossShape === 'flat' ? cosineDistance(g, flatten(g, t), flatten(g, s)) : cosineDistance(g, t, s);
    terms.push(g.node('ReduceMean', [d], { keepdims: 0 }, { outputs: [`loss.${l.name}`] })[0]);
  });
  let loss = terms.length === 1 ? terms[0] : g.op('Sum', terms);
  if (student.sspcabLoss) {
    const named = g.node('Identity', [student.sspcabLoss], {}, { outputs: ['loss.sspcab'] })[0];
    terms.push(named);
    loss = g.op('Add', [loss, g.op('Mul', [named, g.constFloat(p.sspcabWeight)])]);
  }
  g.node('Identity', [loss], {}, { outputs: ['loss'] });
  g.output('loss', 'float32', []);
  for (const t of terms) g.output(t, 'float32', []);
  return { model: g.build(), terms, params: net.params };
}

/** [N,C,h,w] -> [N,C·h·w]: one vector per image. */
function flatten(g: GraphBuilder, x: string): string {
  return g.op('Reshape', [x, g.constInt64([0, -1])]);
}

/** Per-level statistics of the distance maps on held-out good images (levelNorm). */
export interface LevelStats {
  mean: number;
  std: number;
}

type Weights = Map<string, { dims: number[]; data: TypedArray }>;

/**
 * Teacher and trained student on `unit` in inference mode (BatchNorm on running statistics), the student's weights
 * (and a head's, when `head` builds one on the same Net) taken from `weights` by name.
 */
function frozenPair(g: GraphBuilder, backbone: Backbone, cfg: StudentConfig, unit: string, seed: number) {
  const teacher = teacherFeatures(g, backbone, unit, cfg.levels);
  const net = new Net(g, seed);
  const student = studentOf(net, unit, teacher, cfg, false);
  return { teacher, student: student.features, net };
}

/** Every trainable parameter and BN running statistic of `net`'s graph set to its trained value from `weights`. */
function setTrained(g: GraphBuilder, net: Net, weights: Weights): void {
  for (const name of [...net.params, ...[...g.initializers.keys()].filter((k) => k.endsWith('.running_mean') || k.endsWith('.running_var'))]) {
    const w = weights.get(name);
    if (!w) throw new StudioError('INTERNAL', `KD export: no trained value for "${name}".`);
    g.initializers.set(name, arrayToTensor(name, 'float32', w.dims, Float32Array.from(w.data as Float32Array)));
  }
}

/** image uint8 -> per-level distance maps [N,1,h_l,w_l] (+ the head's logits when `withHead`). */
function levelMapsGraph(g: GraphBuilder, backbone: Backbone, cfg: StudentConfig, p: KdParams, weights: Weights, seed: number, withHead = false) {
  const image = g.input(INPUT_NAME, 'uint8', ['N', 3, 'H', 'W']);
  const unit = imageToUnit(g, image, p.photometric);
  const { teacher, student, net } = frozenPair(g, backbone, cfg, unit, seed);
  const logits = withHead ? buildSegHead(net, discrepancyFeatures(g, cfg.levels, teacher, student, p.headTeacher), headInputChannels(cfg.levels, p.headTeacher), p.headWidth ?? HEAD_DEFAULTS.headWidth, false) : undefined;
  setTrained(g, net, weights);
  return { image, logits, maps: cfg.levels.map((_, i) => cosineDistance(g, localMean(g, teacher[i], p.featurePool), localMean(g, student[i], p.featurePool))) };
}

/** Stage 2's frozen part: unit crops [B,3,c,c] -> head_input (segHead.ts discrepancyFeatures) with the trained student. */
export function buildHeadFeatureModel(backbone: Backbone, cfg: StudentConfig, weights: Weights, seed: number, batch: number, crop: number, withTeacher = false): ModelProto {
  const g = new GraphBuilder('kd_head_features');
  const unit = g.input('unit', 'float32', [batch, 3, crop, crop]);
  const { teacher, student, net } = frozenPair(g, backbone, cfg, unit, seed);
  setTrained(g, net, weights);
  g.node('Identity', [discrepancyFeatures(g, cfg.levels, teacher, student, withTeacher)], {}, { outputs: ['head_input'] });
  g.output('head_input', 'float32', [batch, headInputChannels(cfg.levels, withTeacher), 'h', 'w']);
  return g.build();
}

/** image uint8 -> outputs level_<i> (one distance map per level): what levelNorm's statistics are measured on. */
export function buildLevelMapsModel(backbone: Backbone, cfg: StudentConfig, p: KdParams, weights: Weights, seed: number): ModelProto {
  const g = new GraphBuilder('kd_levels');
  const { maps } = levelMapsGraph(g, backbone, cfg, p, weights, seed);
  maps.forEach((m, i) => {
    g.node('Identity', [m], {}, { outputs: [`level_${i}`] });
    g.output(`level_${i}`, 'float32', ['N', 1, `h${i}`, `w${i}`]);
  });
  return g.build();
}

/**
 * Exported model: image uint8 -> anomaly_map + score, with the student's (and with `head` 'seg' the head's) weights
 * taken from `weights` by name and each level's map normalised by `levelStats` (when given) before the levels are
 * summed. With the head the map is its probability (or that times the cosine map, `headMap` 'product');
 * `exposeHead` adds an output `head_probability` [N,1,h,w] on the head's grid (tests).
 */
export function buildInferenceModel(backbone: Backbone, cfg: StudentConfig, p: KdParams, weights: Weights, seed: number, levelStats?: LevelStats[], exposeHead = false): ModelProto {
  const g = new GraphBuilder('kd');
  const withHead = p.head === 'seg';
  const { image, maps: raw, logits } = levelMapsGraph(g, backbone, cfg, p, weights, seed, withHead);
  const maps = raw.map((m, i) => {
    const st = levelStats?.[i];
    if (!st || p.levelNorm === 'none') return m;
    if (p.levelNorm === 'mean') return g.op('Mul', [m, g.constFloat(1 / Math.max(st.mean, 1e-6))], {}, `level_norm_${i}`);
    return g.op('Mul', [g.op('Sub', [m, g.constFloat(st.mean)]), g.constFloat(1 / Math.max(st.std, 1e-6))], {}, `level_norm_${i}`);
  });
  let cells = combineLevelMaps(g, maps);
  if (logits) {
    const probability = g.op('Sigmoid', [logits], {}, 'head_probability');
    if (exposeHead) {
      g.node('Identity', [probability], {}, { outputs: ['head_probability'] });
      g.output('head_probability', 'float32', ['N', 1, 'h', 'w']);
    }
    const floor = p.headFloor ?? 0;
    const gate = floor > 0 ? g.op('Add', [probability, g.constFloat(floor)]) : probability;
    cells = (p.headMap ?? HEAD_DEFAULTS.headMap) === 'product' ? g.op('Mul', [gate, cells]) : probability;
  }
  const { map, score } = anomalyMapAndScore(g, suppressBorder(g, cells, p.borderCells), image, p.sigma, p.scoreTopFraction);
  g.node('Identity', [map], {}, { outputs: [MAP_OUTPUT] });
  g.node('Identity', [score], {}, { outputs: [SCORE_OUTPUT] });
  g.output(MAP_OUTPUT, 'float32', ['N', 1, 'H', 'W']);
  g.output(SCORE_OUTPUT, 'float32', ['N']);
  return g.build({
    producer: 'defect-studio',
    docString: `KD (${cfg.architecture === 'reverse' ? 'reverse distillation' : 'student-teacher'}), teacher ${backbone.name}, levels ${cfg.levels.map((l) => l.name).join('+')}, SimAM ${cfg.useSimam ? 'on' : 'off'}, SSPCAB ${cfg.useSspcab ? 'on' : 'off'}, map ${withHead ? `segmentation head (${p.headMap ?? HEAD_DEFAULTS.headMap})` : 'cosine'}`,
    metadata: { [MODEL_METADATA_KEY]: JSON.stringify({ method: 'kd', version: 1 }) },
  });
}

/** Seeded permutation of 0..n-1 for one epoch. */
function permutation(n: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** One step's crops as planar float arrays: clean `unit`, and with anomalies `noisy` + their union `mask` [B,c,c]. */
export interface CropBatch {
  unit: Float32Array;
  noisy?: Float32Array;
  mask?: Uint8Array;
}

/**
 * The crops of one step, from the step number alone (deterministic resume): epoch permutation seeded by
 * seed + epoch, crop offsets and flips by seed + step. With `anomalyRate` > 0 also `noisy`: the same crops, each with
 * probability `anomalyRate` carrying 1..maxAnomalies synthetic anomalies (their own Rng, so the clean crops do not
 * change with them), and `mask`, where any of them changed a pixel; the texture of a 'texture' anomaly comes from
 * the next crop in the batch.
 */
export function makeCropFn(images: Loaded[], batch: number, crop: number, stepsPerEpoch: number, seed: number, anomalyRate = 0, maxAnomalies = 1): (step: number) => CropBatch {
  let cached: { epoch: number; perm: Int32Array } | undefined;
  return (step): CropBatch => {
    const epoch = Math.floor(step / stepsPerEpoch);
    if (cached?.epoch !== epoch) cached = { epoch, perm: permutation(images.length, seed * 7919 + epoch) };
    const rng = new Rng(seed * 104729 + step + 1);
    const out = new Float32Array(batch * 3 * crop * crop);
    const plane = crop * crop;
    for (let b = 0; b < batch; b++) {
      const img = images[cached.perm[((step % stepsPerEpoch) * batch + b) % images.length]];
      const top = rng.int(img.h - crop + 1);
      const left = rng.int(img.w - crop + 1);
      const flipX = rng.next() < 0.5;
      const flipY = rng.next() < 0.5;
      const scale = 0.2 / img.std / 255;
      const shift = 0.5 - (0.2 * img.mean) / img.std;
      for (let c = 0; c < 3; c++) {
        const src = c * img.h * img.w;
        const dst = (b * 3 + c) * plane;
        for (let y = 0; y < crop; y++) {
          const sy = top + (flipY ? crop - 1 - y : y);
          for (let x = 0; x < crop; x++) {
            const sx = left + (flipX ? crop - 1 - x : x);
            out[dst + y * crop + x] = img.data[src + sy * img.w + sx] * scale + shift;
          }
        }
      }
    }
    if (!(anomalyRate > 0)) return { unit: out };
    const noisy = Float32Array.from(out);
    const mask = new Uint8Array(batch * plane);
    const size = 3 * plane;
    const arng = new Rng(seed * 15485863 + step * 31 + 7);
    for (let b = 0; b < batch; b++) {
      if (arng.next() >= anomalyRate) continue;
      const source = textureSource(out, b, batch, crop);
      const count = 1 + arng.int(Math.max(1, maxAnomalies));
      for (let k = 0; k < count; k++) {
        const m = pasteAnomaly(noisy.subarray(b * size, (b + 1) * size), source, crop, arng).mask;
        for (let i = 0; i < plane; i++) mask[b * plane + i] |= m[i];
      }
    }
    return { unit: out, noisy, mask };
  };
}

/** makeCropFn's crops as the student's feeds: `unit`, and `noisy` with `denoise` > 0. */
export function makeBatchFn(images: Loaded[], batch: number, crop: number, stepsPerEpoch: number, seed: number, denoise = 0, maxAnomalies = 1): (step: number) => Record<string, ort.Tensor> {
  const crops = makeCropFn(images, batch, crop, stepsPerEpoch, seed, denoise, maxAnomalies);
  const dims = [batch, 3, crop, crop];
  return (step): Record<string, ort.Tensor> => {
    const c = crops(step);
    const unit = new ort.Tensor('float32', c.unit, dims);
    return c.noisy ? { unit, noisy: new ort.Tensor('float32', c.noisy, dims) } : { unit };
  };
}

/**
 * The texture pasted into crop `b` of a batch of [batch,3,crop,crop] crops: the next crop in the batch, or with
 * batch 1 the crop itself rolled by half its side (its own texture, from elsewhere; the crop unrolled would paste
 * pixels onto themselves and leave the "texture" anomalies invisible).
 */
export function textureSource(out: Float32Array, b: number, batch: number, crop: number): Float32Array {
  const size = 3 * crop * crop;
  if (batch > 1) return out.subarray(((b + 1) % batch) * size, ((b + 1) % batch + 1) * size);
  const rolled = new Float32Array(size);
  const h = crop >> 1;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < crop; y++) {
      for (let x = 0; x < crop; x++) rolled[(c * crop + y) * crop + x] = out[(c * crop + ((y + h) % crop)) * crop + ((x + h) % crop)];
    }
  }
  return rolled;
}

export async function trainKd(input: KdTrainInput): Promise<KdTrained> {
  const { root, train, val, backbone, params: p, seed, onProgress } = input;
  if (train.length === 0) throw new StudioError('INVALID_STATE', 'KD needs at least one good training image; the training set is empty.');
  const cfg = studentConfig(p, backbone);
  const spec = preprocessSpec(p, backbone);
  const maxStride = inputMultiple(p, backbone);
  await claimCheckpoint(KD_WORK_DIR, input.workDir, input.resume, studentSettings(p, { backbone, seed, train }));
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const images = await loadImages(root, train, spec, p.photometric, onProgress);
  timings.loadSeconds = (performance.now() - t0) / 1000;

  const smallest = Math.min(...images.map((i) => Math.min(i.h, i.w)));
  const crop = Math.floor(Math.min(p.cropSize, smallest) / maxStride) * maxStride;
  if (crop < maxStride) throw new StudioError('BAD_REQUEST', `KD: images of ${smallest} px are smaller than the deepest level's stride ${maxStride}; raise imageSize.`);
  const batch = Math.max(1, Math.min(p.batch, images.length));
  const stepsPerEpoch = Math.max(1, Math.floor(images.length / batch));
  const totalSteps = Math.max(1, Math.min(p.maxSteps ?? Infinity, p.epochs * stepsPerEpoch));

  t0 = performance.now();
  const forward = buildTrainingForward(backbone, cfg, p, batch, crop, seed);
  const makeBatch = makeBatchFn(images, batch, crop, stepsPerEpoch, seed, p.denoise ?? 0, p.denoiseAnomalies ?? 1);
  const shapes = await probeShapes(forward.model, makeBatch(0));
  const training = buildTrainingModel(forward.model, { loss: 'loss', optimizer: { kind: 'adam' }, shapes, params: forward.params, reportOutputs: forward.terms });
  const trainer = await Trainer.create(training, { optimizerName: 'adam' });
  timings.buildSeconds = (performance.now() - t0) / 1000;
  const withHead = p.head === 'seg';
  const headSteps = withHead ? Math.max(1, (p.headEpochs ?? HEAD_DEFAULTS.headEpochs) * stepsPerEpoch) : 0;
  let loop: LoopResult;
  try {
    // One progress bar over both stages: the student's steps, then the head's (none without it).
    loop = await runMethodLoop('KD', { ...input, onProgress: stageProgress(onProgress, 0, totalSteps + headSteps) }, {
      trainer,
      forward: forward.model,
      totalSteps,
      stepsPerEpoch,
      batchImages: batch,
      makeBatch,
      lr: cosineSchedule(p.lr, totalSteps, { warmup: Math.min(20, Math.floor(totalSteps / 10)), floor: 0.05 }),
      reportEvery: Math.max(1, Math.min(10, stepsPerEpoch)),
    });
    timings.trainSeconds = loop.seconds;
    dropStaleHeads(input.workDir, loop.steps > loop.startStep);
    t0 = performance.now();
    let weights = trainer.stateTensors();
    let headLoop: LoopResult | undefined;
    if (withHead) {
      const head = await trainSegHead({
        req: {
          ...input,
          workDir: input.workDir ? path.join(input.workDir, headDirName(p)) : undefined,
          // Head checkpoints of an earlier student are gone (dropStaleHeads above), so resuming finds only this student's.
          onProgress: stageProgress(onProgress, totalSteps, totalSteps + headSteps),
        },
        featureModel: serializeModel(buildHeadFeatureModel(backbone, cfg, weights, seed, batch, crop, p.headTeacher)),
        // Its own crops (another seed than the student's), every crop through the frozen pair as the head sees it.
        crops: makeCropFn(images, batch, crop, stepsPerEpoch, seed + 7777, p.headAnomalyRate ?? HEAD_DEFAULTS.headAnomalyRate, p.denoiseAnomalies ?? 1),
        batch,
        crop,
        stride: cfg.levels[0].stride,
        inC: headInputChannels(cfg.levels, p.headTeacher),
        width: p.headWidth ?? HEAD_DEFAULTS.headWidth,
        steps: headSteps,
        stepsPerEpoch,
        lr: p.headLr ?? HEAD_DEFAULTS.headLr,
        maskRule: p.headMaskRule ?? HEAD_DEFAULTS.headMaskRule,
        seed,
      });
      headLoop = head.loop;
      timings.headSeconds = head.loop.seconds;
      weights = new Map([...weights, ...head.weights]);
      t0 = performance.now();
    }
    const levelStats = p.levelNorm !== 'none' ? await levelStatistics(serializeModel(buildLevelMapsModel(backbone, cfg, p, weights, seed)), root, val.filter((r) => r.label === 'good'), spec, cfg.levels.length) : undefined;
    const onnx = serializeModel(buildInferenceModel(backbone, cfg, p, weights, seed, levelStats));
    const valScores = await scoreImages(onnx, root, val, spec, onProgress);
    timings.validateSeconds = (performance.now() - t0) / 1000;
    return {
      onnx,
      valScores,
      loop: loopSummary(loop),
      headLoop: headLoop && loopSummary(headLoop),
      levelStats,
      timings,
    };
  } finally {
    await trainer.release();
  }
}

/** KD's work folder (models/workDir.ts): the student's settings beside its checkpoint, the heads in headDirName folders. */
export const KD_WORK_DIR: StagedWorkDir = { settingsFile: 'student-settings.json', stage: 'KD: the student' };

/**
 * What shaped the student's training besides its step count (epochs, maxSteps: resuming with more trains it on),
 * each resolved as trainKd resolves it, so an explicit default does not read as another setting.
 */
export function studentSettings(p: KdParams, extra: { backbone: Backbone; seed: number; train: ImageRecord[] }): Record<string, unknown> {
  const denoise = p.denoise ?? 0;
  return {
    backbone: extra.backbone.name,
    seed: extra.seed,
    levels: p.levels,
    widths: p.widths,
    blocks: p.blocks,
    architecture: p.architecture,
    bottleneckWidth: p.architecture === 'reverse' ? (p.bottleneckWidth ?? 2 * p.widths[p.widths.length - 1]) : null,
    featurePool: p.featurePool ?? 0,
    lossShape: p.lossShape ?? 'position',
    useSimam: p.useSimam,
    useSspcab: p.useSspcab,
    sspcabWeight: p.useSspcab ? p.sspcabWeight : null,
    denoise,
    denoiseAnomalies: denoise > 0 ? (p.denoiseAnomalies ?? 1) : null,
    batch: p.batch,
    lr: p.lr,
    cropSize: p.cropSize,
    fit: p.fit,
    imageSize: p.imageSize,
    maxLong: p.maxLong,
    photometric: p.photometric,
    ...trainListSettings(extra.train),
  };
}

/**
 * The head's checkpoint folder inside the work dir, named by its training settings: a finished student resumed with
 * other head settings (bench/kd.ts BENCH_KD_POSTHOC) trains a new head instead of continuing another one's.
 */
export function headDirName(p: KdParams): string {
  // Each setting resolved as trainKd resolves it (`??`: a key present but undefined must not name another folder);
  // denoiseAnomalies sets the anomalies per head crop too.
  const h = (k: keyof typeof HEAD_DEFAULTS) => p[k] ?? HEAD_DEFAULTS[k];
  return `${HEAD_DIR_PREFIX}e${h('headEpochs')}-w${h('headWidth')}-lr${h('headLr')}-a${h('headAnomalyRate')}-${h('headMaskRule')}-n${p.denoiseAnomalies ?? 1}${p.headTeacher ? '-teacher' : ''}`;
}

/**
 * Mean and std of every level's distance map over all positions of `images` (the good held-out images; training
 * images would bias them low). With no images: mean 1, std 1, i.e. every level keeps its raw scale.
 */
async function levelStatistics(onnx: Uint8Array, root: string, images: ImageRecord[], spec: PreprocessSpec, levels: number): Promise<LevelStats[]> {
  const sum = new Float64Array(levels);
  const sq = new Float64Array(levels);
  const count = new Float64Array(levels);
  const { session } = await openSession(onnx, 'KD level maps');
  try {
    for (const r of images) {
      const pre = await preprocessImage(path.join(root, r.path), spec, r.path);
      const out = await session.run({ [INPUT_NAME]: new ort.Tensor('uint8', pre.data, [1, 3, pre.geometry.inHeight, pre.geometry.inWidth]) });
      for (let l = 0; l < levels; l++) {
        const d = out[`level_${l}`].data as Float32Array;
        for (let i = 0; i < d.length; i++) {
          sum[l] += d[i];
          sq[l] += d[i] * d[i];
        }
        count[l] += d.length;
      }
    }
  } finally {
    await session.release();
  }
  return Array.from({ length: levels }, (_, l) => {
    if (!count[l]) return { mean: 1, std: 1 };
    const mean = sum[l] / count[l];
    return { mean, std: Math.sqrt(Math.max(0, sq[l] / count[l] - mean * mean)) };
  });
}

/** Image scores of `images` through the exported model itself (the threshold's data). */
async function scoreImages(onnx: Uint8Array, root: string, images: ImageRecord[], spec: PreprocessSpec, onProgress?: (e: TrainProgressEvent) => void) {
  const scores: KdTrained['valScores'] = [];
  if (!images.length) return scores;
  const { session } = await openSession(onnx, 'KD model');
  try {
    for (const r of images) {
      const pre = await preprocessImage(path.join(root, r.path), spec, r.path);
      const out = await session.run({ [INPUT_NAME]: new ort.Tensor('uint8', pre.data, [1, 3, pre.geometry.inHeight, pre.geometry.inWidth]) });
      scores.push({ path: r.path, label: r.label, score: (out[SCORE_OUTPUT].data as Float32Array)[0] });
      onProgress?.({ stage: 'validate', done: scores.length, total: images.length });
    }
  } finally {
    await session.release();
  }
  return scores;
}
