/**
 * EAR's recovery error in feature space: the picture x and its recovery x̂ are compared through a frozen ImageNet
 * backbone instead of pixel by pixel. x is the full-size gray image, whose features the model computes once for
 * the attention too; x̂ (at the U-Net's size) is resized to the input size and sent through the same backbone
 * (as one gray channel, embedGrayBackbone); per level, the squared feature
 * difference is divided channel by channel by its mean on good training images (so every level and channel
 * weighs the same, and a channel that always differs — the striation the U-Net never reproduces exactly —
 * counts little), averaged over channels, and the levels are resized to the finest grid and averaged:
 *   error = mean_levels mean_c (f_c(x) − f_c(x̂))² / v_c      (≈ 1 on good images)
 * Texture noise that the recovery misses in pixels but that has the same local statistics cancels in features;
 * a defect the recovery replaced by good surface does not.
 */
import { readAttr } from '../../engine/autodiff/kit.js';
import type { GraphBuilder } from '../../engine/onnx/graph.js';
import { arrayToTensor, tensorToArray } from '../../engine/onnx/proto.js';
import { embedBackbone } from '../backbones/embed.js';
import type { Backbone } from '../backbones/types.js';

const SCALAR_OPS = new Set(['Mul', 'Add', 'Sub', 'Div']);

/**
 * The backbone's first Conv with its weights summed over the 3 input channels [O,1,kh,kw], when everything between
 * the graph input and that Conv is arithmetic with scalar constants (MobileNetV2: x·2 − 1): three equal gray
 * channels then reach the Conv as three equal channels, so one channel with the summed weights gives the same
 * features. Undefined for any other input path (per-channel normalisation, a ResNet's mean/std), which keeps
 * the gray channel repeated 3 times.
 */
export function grayStem(backbone: Backbone): { weight: string; dims: number[]; data: Float32Array } | undefined {
  const graph = backbone.model.graph!;
  const nodes = graph.node ?? [];
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name!, t]));
  const isScalar = (v: string) => {
    const t = inits.get(v);
    return t !== undefined && (t.dims ?? []).reduce((a: number, d) => a * Number(d), 1) === 1;
  };
  let value = graph.input?.[0]?.name ?? 'image';
  for (;;) {
    const users = nodes.filter((n) => n.input?.includes(value));
    if (users.length !== 1) return undefined;
    const n = users[0];
    const ins = n.input ?? [];
    if (SCALAR_OPS.has(n.opType ?? '') && ins.length === 2 && ins.some((i) => i !== value && isScalar(i))) {
      value = n.output![0];
      continue;
    }
    const group = Number(readAttr(n, 'group') ?? 1);
    const weight = ins[1];
    if (n.opType !== 'Conv' || ins[0] !== value || group !== 1 || !inits.has(weight)) return undefined;
    if (nodes.filter((m) => m.input?.includes(weight)).length !== 1) return undefined;
    const { dims, data } = tensorToArray(inits.get(weight)!);
    if (dims.length !== 4 || dims[1] !== 3 || !(data instanceof Float32Array)) return undefined;
    const per = dims[2] * dims[3];
    const summed = new Float32Array(dims[0] * per);
    for (let o = 0; o < dims[0]; o++) for (let c = 0; c < 3; c++) for (let k = 0; k < per; k++) summed[o * per + k] += data[(o * 3 + c) * per + k];
    return { weight, dims: [dims[0], 1, dims[2], dims[3]], data: summed };
  }
}

/**
 * The backbone's `levels` of a gray picture [N,1,H,W]: one input channel into the first Conv when grayStem allows
 * it (a third of the stem's work, no Expand), else the gray channel repeated as RGB.
 */
export function embedGrayBackbone(g: GraphBuilder, backbone: Backbone, gray: string, levels: readonly string[], prefix: string): Record<string, string> {
  const stem = grayStem(backbone);
  if (!stem) return embedBackbone(g, backbone, grayToRgb(g, gray), [...levels], prefix);
  const feats = embedBackbone(g, backbone, gray, [...levels], prefix);
  g.initializers.set(prefix + stem.weight, arrayToTensor(prefix + stem.weight, 'float32', stem.dims, stem.data));
  return feats;
}

function shapeSlice(g: GraphBuilder, shape: string, start: number, end: number): string {
  return g.op('Slice', [shape, g.constInt64([start]), g.constInt64([end]), g.constInt64([0])]);
}

/**
 * k x k local average (stride 1, same size, padding not counted), PatchCore's neighbourhood aggregation, used on
 * the error map: a single cell's error spike (a striation line the recovery misplaced) weighs less than an error
 * that holds over a few cells. Averaging the features before the comparison instead dilutes the small defects
 * (README.md run F).
 */
export function localMean(g: GraphBuilder, x: string, k: number): string {
  if (!(k > 1)) return x;
  const lo = Math.floor((k - 1) / 2);
  return g.op('AveragePool', [x], { kernel_shape: [k, k], strides: [1, 1], pads: [lo, lo, k - 1 - lo, k - 1 - lo], count_include_pad: 0 });
}

/**
 * Squared feature differences [N,C,h,w] per level (same order as `levels`) between the image's features `xFeats`
 * (computed once in the model's front, shared with the attention) and those of the recovery x̂ [N,1,h',w'],
 * bilinearly resized to `like`'s spatial size and sent through the backbone as a gray picture (embedGrayBackbone).
 */
export function featureSquaredDiffs(g: GraphBuilder, backbone: Backbone, xFeats: Record<string, string>, xhat: string, like: string, levels: readonly string[]): string[] {
  const sizes = g.op('Concat', [shapeSlice(g, g.op('Shape', [xhat]), 0, 2), shapeSlice(g, g.op('Shape', [like]), 2, 4)], { axis: 0 });
  const up = g.op('Resize', [xhat, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }, 'recovered_full_size');
  const feats = embedGrayBackbone(g, backbone, up, levels, 'recovered/');
  return levels.map((l) => {
    const d = g.op('Sub', [xFeats[l], feats[l]]);
    return g.op('Mul', [d, d], {}, `feature_sq_diff_${l}`);
  });
}

/** [N,1,H,W] -> [N,3,H,W], the backbone's RGB input. */
export function grayToRgb(g: GraphBuilder, gray: string): string {
  return g.op('Expand', [gray, g.constInt64([1, 3, 1, 1])]);
}

/**
 * The normalised feature error [N,1,h,w] on the finest level's grid. `meanSq[i]` (length C of level i) = the
 * mean squared difference of each channel on good training images; absent (before they are measured) = 1.
 */
export function featureError(g: GraphBuilder, sqDiffs: readonly string[], channels: readonly number[], meanSq?: readonly Float32Array[]): string {
  const perLevel = sqDiffs.map((d, i) => {
    const v = meanSq?.[i] ?? new Float32Array(channels[i]).fill(1);
    const inv = Float32Array.from(v, (x) => 1 / Math.max(x, 1e-8));
    const w = g.initializer(`feature_inv_mean_sq_${i}`, 'float32', [1, channels[i], 1, 1], inv);
    return g.op('ReduceMean', [g.op('Mul', [d, w])], { axes: [1], keepdims: 1 }, `feature_error_${i}`);
  });
  if (perLevel.length === 1) return perLevel[0];
  const fine = g.op('Shape', [perLevel[0]]);
  const resized = perLevel.map((e, i) => (i === 0 ? e : g.op('Resize', [e, '', '', fine], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' })));
  const sum = resized.slice(1).reduce((a, b) => g.op('Add', [a, b]), resized[0]);
  return g.op('Mul', [sum, g.constFloat(1 / perLevel.length)], {}, 'feature_error');
}

/** Per-channel mean over batch and positions of each level's squared difference: [C] per level (the statistics graph). */
export function channelMeans(g: GraphBuilder, sqDiffs: readonly string[]): string[] {
  return sqDiffs.map((d, i) => g.op('ReduceMean', [d], { axes: [0, 2, 3], keepdims: 0 }, `channel_mean_sq_${i}`));
}
