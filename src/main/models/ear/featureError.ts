/**
 * EAR's recovery error in feature space: the picture x and its recovery x̂ are compared through a frozen ImageNet
 * backbone instead of pixel by pixel. x is the full-size gray image, whose features the model computes once for
 * the attention too; x̂ (at the U-Net's size) is resized to the input size and sent through the same backbone
 * (three equal gray channels); per level, the squared feature
 * difference is divided channel by channel by its mean on good training images (so every level and channel
 * weighs the same, and a channel that always differs — the striation the U-Net never reproduces exactly —
 * counts little), averaged over channels, and the levels are resized to the finest grid and averaged:
 *   error = mean_levels mean_c (f_c(x) − f_c(x̂))² / v_c      (≈ 1 on good images)
 * Texture noise that the recovery misses in pixels but that has the same local statistics cancels in features;
 * a defect the recovery replaced by good surface does not.
 */
import type { GraphBuilder } from '../../engine/onnx/graph.js';
import { embedBackbone } from '../backbones/embed.js';
import type { Backbone } from '../backbones/types.js';

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
 * bilinearly resized to `like`'s spatial size and given as three equal gray channels.
 */
export function featureSquaredDiffs(g: GraphBuilder, backbone: Backbone, xFeats: Record<string, string>, xhat: string, like: string, levels: readonly string[]): string[] {
  const sizes = g.op('Concat', [shapeSlice(g, g.op('Shape', [xhat]), 0, 2), shapeSlice(g, g.op('Shape', [like]), 2, 4)], { axis: 0 });
  const up = g.op('Resize', [xhat, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }, 'recovered_full_size');
  const feats = embedBackbone(g, backbone, grayToRgb(g, up), [...levels], 'recovered/');
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
