/**
 * KD graph pieces (METHODS.md, seed 001), all added to one GraphBuilder so the training graph and the exported
 * model share them:
 *
 *   image uint8 [N,3,H,W] -> unit [0,1] (photometric standardisation, patchcore/network.ts imageToUnit)
 *     teacher: the frozen backbone's feature outputs at several depths (embedBackbone)
 *     student: a small randomly initialised CNN with one stage per teacher level (same stride), each stage
 *              conv-BN-ReLU x2, optional SimAM after the stage, optional SSPCAB in the deepest stage, and a 1x1
 *              head to the teacher level's channel count
 *   per level: 1 − cos(teacher, student) along channels = distance map [N,1,h,w]
 * Training loss = Σ levels mean(distance) + λ · SSPCAB reconstruction loss. Inference: every level's distance map
 * resized to the finest level's grid and summed; kd/index.ts hands it to patchcore/anomalyMap.ts (resize to the
 * image, Gaussian blur, score).
 */
import { StudioError } from '../../../shared/errors.js';
import { batchNorm, conv2d, convTranspose2d, Net } from '../../engine/layers/index.js';
import { simam } from '../../engine/layers/simam.js';
import { sspcab } from '../../engine/layers/sspcab.js';
import type { GraphBuilder } from '../../engine/onnx/graph.js';
import { embedBackbone } from '../backbones/embed.js';
import type { Backbone, FeatureSpec } from '../backbones/types.js';
import { clampBorder } from '../patchcore/anomalyMap.js';

export interface StudentConfig {
  /** Teacher levels, finest first; the student has one stage per level. */
  levels: FeatureSpec[];
  /** Student channels per level (same length as levels). */
  widths: number[];
  useSimam: boolean;
  useSspcab: boolean;
  /** Residual blocks (conv-BN-ReLU-conv-BN + identity) per stage after its first conv; 0 = none. */
  blocks?: number;
  /**
   * 'forward': the student sees the image and imitates the teacher (classic student-teacher KD).
   * 'reverse': reverse distillation (Deng & Li, CVPR 2022): the student is a decoder that sees only a compressed
   * embedding of the teacher's own features (one stride below the deepest level) and restores every level from it;
   * the bottleneck cannot carry what good images never contain, so the restored features stay "normal" where the
   * image is not.
   */
  architecture?: 'forward' | 'reverse';
  /** Reverse: channels of the bottleneck embedding (default 2 x the deepest width). */
  bottleneckWidth?: number;
}

export interface StudentOutputs {
  features: string[];
  /** SSPCAB's reconstruction loss (scalar), when the block is on. */
  sspcabLoss?: string;
}

const EPS = 1e-6;

function convBn(net: Net, name: string, x: string, inC: number, outC: number, stride: number, training: boolean): string {
  return net.g.op('Relu', [batchNorm(net, `${name}.bn`, conv2d(net, `${name}.conv`, x, inC, outC, { stride }), outC, training)]);
}

/**
 * The student on `unit` [N,3,H,W] in [0,1]. Parameter names depend only on the config, so a graph built with
 * `training = false` (BatchNorm on running statistics) takes the trained weights by name.
 */
export function buildStudent(net: Net, unit: string, cfg: StudentConfig, training: boolean): StudentOutputs {
  const g = net.g;
  if (cfg.levels.length !== cfg.widths.length) throw new StudioError('BAD_REQUEST', `KD student: ${cfg.levels.length} levels but ${cfg.widths.length} widths.`);
  // Centre the [0,1] input (≈ mean 0.5, std 0.2 after photometric standardisation) around 0.
  let x = g.op('Mul', [g.op('Sub', [unit, g.constFloat(0.5)]), g.constFloat(4)], {}, 'student_input');
  let inC = 3;
  let stride = 1;
  const features: string[] = [];
  let sspcabLoss: string | undefined;
  cfg.levels.forEach((level, i) => {
    const w = cfg.widths[i];
    // Stride-2 convs until this level's stride is reached, then a stride-1 conv.
    let j = 0;
    while (stride < level.stride) {
      x = convBn(net, `student.s${i}.down${j++}`, x, inC, w, 2, training);
      inC = w;
      stride *= 2;
    }
    if (stride !== level.stride) throw new StudioError('BAD_REQUEST', `KD: teacher level ${level.name} has stride ${level.stride}, not a power of two above the previous level.`);
    if (cfg.useSspcab && i === cfg.levels.length - 1) {
      // Near the deepest distilled level (METHODS.md): predicts each position from its masked-out context.
      const s = sspcab(net, `student.s${i}.sspcab`, x, inC);
      x = s.output;
      sspcabLoss = s.loss;
    }
    x = convBn(net, `student.s${i}.conv`, x, inC, w, 1, training);
    inC = w;
    for (let b = 0; b < (cfg.blocks ?? 0); b++) {
      const h = convBn(net, `student.s${i}.res${b}.a`, x, w, w, 1, training);
      const h2 = batchNorm(net, `student.s${i}.res${b}.b.bn`, conv2d(net, `student.s${i}.res${b}.b.conv`, h, w, w), w, training);
      x = g.op('Relu', [g.op('Add', [h2, x])]);
    }
    if (cfg.useSimam) x = simam(g, x);
    features.push(conv2d(net, `student.s${i}.head`, x, w, level.channels, { kernel: 1, pad: 0, bias: true }));
  });
  return { features, sspcabLoss };
}

/**
 * Reverse-distillation student on the teacher's level features (finest first):
 *   bottleneck: each level -> stride-2 conv-BN-ReLU steps to the deepest level's grid -> concat -> stride-2
 *               conv-BN-ReLU (the one-class embedding, 2x the deepest stride) -> SSPCAB (predicts each embedding
 *               position from its masked-out context) -> conv-BN-ReLU -> SimAM
 *   decoder:    from the embedding, per level deepest first: ConvTranspose 2x2 s2 steps to the level's stride ->
 *               BN-ReLU -> conv-BN-ReLU -> SimAM -> 1x1 head to the teacher level's channels
 * Inputs must be multiples of 2 x the deepest stride (preprocessSpec, training crops).
 */
export function buildReverseStudent(net: Net, teacher: string[], cfg: StudentConfig, training: boolean): StudentOutputs {
  const g = net.g;
  if (cfg.levels.length !== cfg.widths.length) throw new StudioError('BAD_REQUEST', `KD student: ${cfg.levels.length} levels but ${cfg.widths.length} widths.`);
  const deepest = cfg.levels[cfg.levels.length - 1].stride;
  const branches = cfg.levels.map((level, i) => {
    let x = teacher[i];
    let c = level.channels;
    let stride = level.stride;
    let j = 0;
    while (stride < deepest) {
      x = convBn(net, `student.enc${i}.down${j++}`, x, c, cfg.widths[i], 2, training);
      c = cfg.widths[i];
      stride *= 2;
    }
    if (stride !== deepest) throw new StudioError('BAD_REQUEST', `KD: teacher level ${level.name} has stride ${level.stride}, not a power of two below ${deepest}.`);
    return { x, c };
  });
  const catC = branches.reduce((s, b) => s + b.c, 0);
  const cat = branches.length === 1 ? branches[0].x : g.op('Concat', branches.map((b) => b.x), { axis: 1 });
  const bw = cfg.bottleneckWidth ?? 2 * cfg.widths[cfg.widths.length - 1];
  let x = convBn(net, 'student.bottleneck.down', cat, catC, bw, 2, training);
  let sspcabLoss: string | undefined;
  if (cfg.useSspcab) {
    const s = sspcab(net, 'student.bottleneck.sspcab', x, bw);
    x = s.output;
    sspcabLoss = s.loss;
  }
  x = convBn(net, 'student.bottleneck.conv', x, bw, bw, 1, training);
  if (cfg.useSimam) x = simam(g, x);
  let c = bw;
  let stride = 2 * deepest;
  const features: string[] = new Array(cfg.levels.length);
  for (let i = cfg.levels.length - 1; i >= 0; i--) {
    const level = cfg.levels[i];
    const w = cfg.widths[i];
    let j = 0;
    while (stride > level.stride) {
      x = g.op('Relu', [batchNorm(net, `student.dec${i}.up${j}.bn`, convTranspose2d(net, `student.dec${i}.up${j}.deconv`, x, c, w, 2, 2, false), w, training)]);
      j++;
      c = w;
      stride /= 2;
    }
    x = convBn(net, `student.dec${i}.conv`, x, c, w, 1, training);
    c = w;
    if (cfg.useSimam) x = simam(g, x);
    features[i] = conv2d(net, `student.dec${i}.head`, x, w, level.channels, { kernel: 1, pad: 0, bias: true });
  }
  return { features, sspcabLoss };
}

/** Mean over the (2r+1)² neighbourhood of every position (borders average what exists); r = 0 returns x. */
export function localMean(g: GraphBuilder, x: string, r: number): string {
  if (!(r > 0)) return x;
  const k = 2 * r + 1;
  return g.op('AveragePool', [x], { kernel_shape: [k, k], pads: [r, r, r, r], count_include_pad: 0 }, 'local_mean');
}

/** 1 − cosine similarity along channels: [N,C,h,w] x2 -> [N,1,h,w]. */
export function cosineDistance(g: GraphBuilder, a: string, b: string): string {
  const axes = g.constInt64([1]);
  const dot = g.op('ReduceSum', [g.op('Mul', [a, b]), axes], { keepdims: 1 });
  const na = g.op('Sqrt', [g.op('Add', [g.op('ReduceSum', [g.op('Mul', [a, a]), axes], { keepdims: 1 }), g.constFloat(EPS)])]);
  const nb = g.op('Sqrt', [g.op('Add', [g.op('ReduceSum', [g.op('Mul', [b, b]), axes], { keepdims: 1 }), g.constFloat(EPS)])]);
  return g.op('Sub', [g.constFloat(1), g.op('Div', [dot, g.op('Mul', [na, nb])])], {}, 'cos_distance');
}

/** Teacher features of the configured levels (frozen backbone nodes, prefixed 'teacher/'). */
export function teacherFeatures(g: GraphBuilder, backbone: Backbone, unit: string, levels: FeatureSpec[]): string[] {
  const feats = embedBackbone(g, backbone, unit, levels.map((l) => l.name), 'teacher/');
  return levels.map((l) => feats[l.name]);
}

/** The teacher's level specs, finest first, with a clear error for a name the backbone lacks. */
export function levelSpecs(backbone: Backbone, names: string[]): FeatureSpec[] {
  return names
    .map((n) => {
      const f = backbone.features.find((x) => x.name === n);
      if (!f) throw new StudioError('BAD_REQUEST', `Backbone ${backbone.name} has no feature "${n}"; it offers ${backbone.features.map((x) => x.name).join(', ')}.`);
      return f;
    })
    .sort((a, b) => a.stride - b.stride);
}

/** Per-level distance maps resized to the first (finest) map's grid and summed: [N,1,h,w]. */
export function combineLevelMaps(g: GraphBuilder, maps: string[]): string {
  const fineShape = g.op('Shape', [maps[0]]);
  let sum = maps[0];
  for (const m of maps.slice(1)) {
    const up = g.op('Resize', [m, '', '', fineShape], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }, 'upsample_level');
    sum = g.op('Add', [sum, up]);
  }
  return sum;
}

/**
 * KD's border band: m cells along the borders of a map [N,1,h,w] replaced by the nearest interior value, but at
 * most ⌊side / 8⌋ per side, so small inputs keep most of their map (the shared band, patchcore/anomalyMap.ts).
 */
export function suppressBorder(g: GraphBuilder, map: string, m: number): string {
  return clampBorder(g, map, m, { atMostOneIn: 8 });
}
