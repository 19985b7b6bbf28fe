/**
 * PatchCore graph pieces, all added to a GraphBuilder so training and the exported model share them:
 *
 *   image uint8 [N,3,H,W] -> /255 -> (optional reflect padding) -> backbone -> two feature levels
 *     -> k x k local average per level (PatchCore's neighbourhood aggregation; padding cropped off after)
 *     -> coarse level bilinearly upsampled to the fine grid -> concat -> per-channel scale (each level to unit
 *        mean norm, measured on training patches)                                  = patch features [N,C,h,w]
 *   patch features -> squared distance to every memory-bank row via one Gemm (−2·a·bᵀ + ‖b‖²) -> min -> + ‖a‖²
 *     -> sqrt = patch scores [N,1,h,w]
 * Patch scores become the anomaly map and image score in anomalyMap.ts.
 */
import type { GraphBuilder } from '../../engine/onnx/graph.js';
import { embedBackbone } from '../backbones/embed.js';
import type { Backbone } from '../backbones/types.js';

export interface FeatureLevels {
  /**
   * Two or more backbone features; the first one's grid is the patch grid, every other level is bilinearly resized
   * to it (upsampled when coarser; a finer level is averaged down, e.g. 2 x 2 cells for a stride-4 level on a
   * stride-8 grid).
   */
  levels: string[];
  /**
   * Input pixels of reflect padding added around the image before the backbone and cropped off the patch grid
   * after it (a multiple of the coarsest stride, so both grids stay aligned); 0 = none. The convs' zero padding
   * otherwise makes every tile edge look unlike the bank's interior patches (README.md "border").
   */
  reflectPad?: number;
  /** Side of the square local-average neighbourhood (PatchCore's aggregation), one for all levels or one per level (in each level's own cells); 3 unless given. */
  aggregate?: number | number[];
}

/** Slices a 1-D shape tensor [start, end). */
function shapeSlice(g: GraphBuilder, shape: string, start: number, end: number): string {
  return g.op('Slice', [shape, g.constInt64([start]), g.constInt64([end]), g.constInt64([0])]);
}

/**
 * image uint8 -> float in [0,1]. With `photometric`, each image is first standardised (its own mean and std over
 * all pixels) and mapped to mean 0.5, std 0.2: removes the exposure and gain differences between shots, which
 * otherwise dominate patch distances on uniform surfaces such as magnetic tiles.
 */
export function imageToUnit(g: GraphBuilder, image: string, photometric = false): string {
  const unit = g.op('Div', [g.op('Cast', [image], { to: 1 }), g.constFloat(255)], {}, 'to_unit');
  if (!photometric) return unit;
  const mean = g.op('ReduceMean', [unit], { axes: [1, 2, 3], keepdims: 1 });
  const centred = g.op('Sub', [unit, mean]);
  const std = g.op('Sqrt', [g.op('Add', [g.op('ReduceMean', [g.op('Mul', [centred, centred])], { axes: [1, 2, 3], keepdims: 1 }), g.constFloat(1e-6)])]);
  return g.op('Add', [g.op('Mul', [g.op('Div', [centred, std]), g.constFloat(0.2)]), g.constFloat(0.5)], {}, 'photometric_normalised');
}

/**
 * Patch features [N, C, h, w]. `scale` (length C) is applied when given; training runs the graph without it
 * first to measure the per-level norms.
 */
export function patchFeatures(g: GraphBuilder, backbone: Backbone, unit: string, cfg: FeatureLevels, scale?: Float32Array): string {
  const pad = cfg.reflectPad ?? 0;
  const input = pad > 0 ? g.op('Pad', [unit, g.constInt64([0, 0, pad, pad, 0, 0, pad, pad])], { mode: 'reflect' }, 'reflect_padded') : unit;
  const feats = embedBackbone(g, backbone, input, [...cfg.levels]);
  const agg = cfg.aggregate ?? 3;
  const sides = typeof agg === 'number' ? cfg.levels.map(() => agg) : agg;
  const pooled = cfg.levels.map((l, i) => {
    const a = sides[i];
    if (a === 1) return feats[l];
    const lo = Math.floor((a - 1) / 2);
    return g.op('AveragePool', [feats[l]], { kernel_shape: [a, a], strides: [1, 1], pads: [lo, lo, a - 1 - lo, a - 1 - lo], count_include_pad: 0 }, `aggregate_${l}`);
  });
  const gridHw = shapeSlice(g, g.op('Shape', [pooled[0]]), 2, 4);
  const onGrid = pooled.map((p, i) => {
    if (i === 0) return p;
    const sizes = g.op('Concat', [shapeSlice(g, g.op('Shape', [p]), 0, 2), gridHw], { axis: 0 });
    // Linear + half_pixel: upsampling interpolates; halving averages each 2 x 2 block exactly.
    return g.op('Resize', [p, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }, i === 1 ? 'upsample_coarse' : `resize_level_${i}`);
  });
  let cat = g.op('Concat', onGrid, { axis: 1 }, 'patch_features');
  if (pad > 0) {
    const cells = pad / fineStride(backbone, cfg.levels[0]);
    cat = g.op('Slice', [cat, g.constInt64([cells, cells]), g.constInt64([-cells, -cells]), g.constInt64([2, 3])], {}, 'unpadded_features');
  }
  if (!scale) return cat;
  return g.op('Mul', [cat, g.initializer('level_scale', 'float32', [1, scale.length, 1, 1], scale)], {}, 'scaled_features');
}

export function fineStride(backbone: Backbone, level: string): number {
  return backbone.features.find((f) => f.name === level)?.stride ?? 8;
}

/**
 * Nearest-bank-row distance per patch: [N,C,h,w] -> [N,1,h,w]. `bank` is [M, D] row-major, where D = C, or
 * D = the column count of `projection` [C, D] (then each patch is projected first: the Gemm, which dominates
 * inference, shrinks by C / D while distances are kept approximately, Johnson–Lindenstrauss).
 */
export function nearestDistance(g: GraphBuilder, features: string, bank: Float32Array, featureChannels: number, projection?: { matrix: Float32Array; dim: number }, knn = 1): string {
  const channels = projection ? projection.dim : featureChannels;
  const M = bank.length / channels;
  const bankT = new Float32Array(channels * M);
  const bankNorm = new Float32Array(M);
  for (let m = 0; m < M; m++) {
    let s = 0;
    for (let c = 0; c < channels; c++) {
      const v = bank[m * channels + c];
      bankT[c * M + m] = v;
      s += v * v;
    }
    bankNorm[m] = s;
  }
  const shape = g.op('Shape', [features]);
  const flat = g.op('Reshape', [g.op('Transpose', [features], { perm: [0, 2, 3, 1] }), g.constInt64([-1, featureChannels])], {}, 'patches');
  const rows = projection ? g.op('MatMul', [flat, g.initializer('bank_projection', 'float32', [featureChannels, channels], projection.matrix)], {}, 'projected_patches') : flat;
  const bT = g.initializer('memory_bank_t', 'float32', [channels, M], bankT);
  const bN = g.initializer('memory_bank_sqnorm', 'float32', [1, M], bankNorm);
  // ‖a−b‖² = ‖a‖² − 2a·b + ‖b‖²; the min over b does not need ‖a‖², so add it after the ReduceMin.
  const partial = g.op('Gemm', [rows, bT, bN], { alpha: -2, beta: 1 }, 'bank_products');
  const rowNorm = g.op('ReduceSum', [g.op('Mul', [rows, rows]), g.constInt64([1])], { keepdims: 1 });
  // knn > 1: mean of the k nearest rows' distances, so a patch that matches one stray bank row (a defect-like patch
  // that slipped into the good set) but not its neighbours still scores.
  const nearest = knn > 1
    ? g.node('TopK', [partial, g.constInt64([Math.min(knn, M)])], { axis: 1, largest: 0, sorted: 0 }, { outputs: 2 })[0]
    : g.op('ReduceMin', [partial], { axes: [1], keepdims: 1 });
  const distances = (name?: string) => g.op('Sqrt', [g.op('Relu', [g.op('Add', [nearest, rowNorm])])], {}, name);
  const dist = knn > 1 ? g.op('ReduceMean', [distances()], { axes: [1], keepdims: 1 }, 'patch_distance') : distances('patch_distance');
  const outShape = g.op('Concat', [shapeSlice(g, shape, 0, 1), g.constInt64([1]), shapeSlice(g, shape, 2, 4)], { axis: 0 });
  return g.op('Reshape', [dist, outShape], {}, 'patch_scores');
}
