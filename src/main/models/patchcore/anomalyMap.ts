/**
 * Patch scores -> anomaly map and image score, inside the graph (PatchCore, KD, EAR, few-shot):
 *   patch scores [N,1,h,w] -> bilinear resize to the input's H x W -> separable Gaussian blur (σ in input pixels,
 *   edge padding, radius ⌈4σ⌉) = anomaly_map [N,1,H,W]; max or top-fraction mean over the map = score [N].
 */
import type { GraphBuilder } from '../../engine/onnx/graph.js';

function shapeSlice(g: GraphBuilder, shape: string, start: number, end: number): string {
  return g.op('Slice', [shape, g.constInt64([start]), g.constInt64([end]), g.constInt64([0])]);
}

export function gaussianKernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(4 * sigma));
  const k = new Float32Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= s;
  return k;
}

/**
 * A map or patch-score grid [N,1,h,w] with a band of `cells` cells along every edge replaced by the nearest interior
 * cell (index clamping with Gather, so maps narrower than the band stay valid). Tile edges and dark margins score
 * high on good images (the map's maximum lay on the border in most good test images, README.md); a defect that
 * touches the border is then judged by its interior part. PatchCore, KD and EAR all use this one band;
 * `atMostOneIn: k` caps it at ⌊side / k⌋ cells per side from the runtime shape (KD: small inputs keep most of
 * their map).
 */
export function clampBorder(g: GraphBuilder, patchScores: string, cells: number, opts: { atMostOneIn?: number } = {}): string {
  if (!(cells > 0)) return patchScores;
  const shape = g.op('Shape', [patchScores]);
  let out = patchScores;
  for (const axis of [2, 3]) {
    const len = g.op('Squeeze', [shapeSlice(g, shape, axis, axis + 1), g.constInt64([0])]);
    const band = opts.atMostOneIn ? g.op('Min', [g.op('Div', [len, g.constInt64(opts.atMostOneIn)]), g.constInt64(cells)]) : g.constInt64(cells);
    const idx = g.op('Range', [g.constInt64(0), len, g.constInt64(1)]);
    const hi = g.op('Max', [g.op('Sub', [g.op('Sub', [len, band]), g.constInt64(1)]), g.constInt64(0)]);
    const clamped = g.op('Min', [g.op('Max', [idx, band]), hi]);
    out = g.op('Gather', [out, clamped], { axis }, `border_clamped_${axis}`);
  }
  return out;
}

/** Patch scores [N,1,h,w] -> smoothed anomaly map [N,1,H,W] at the input image's size, and score [N]. */
export function anomalyMapAndScore(g: GraphBuilder, patchScores: string, image: string, sigma: number, topFraction = 0): { map: string; score: string } {
  const map = upsampleAndSmooth(g, patchScores, image, sigma);
  return { map, score: mapScore(g, map, topFraction) };
}

/**
 * [1,1,n,n] (axis 2) or its transpose layout (axis 3): the resize + pad + blur of each unit impulse along `axis`,
 * i.e. the 1-D operator as a matrix: [1,1,N,n] for axis 2, [1,1,n,N] for axis 3.
 */
function axisOperator(g: GraphBuilder, n: string, size: string, axis: 2 | 3, k: Float32Array, tag: string): string {
  const eye = g.op('EyeLike', [g.op('Expand', [g.constFloat(0), g.op('Concat', [n, n], { axis: 0 })])]);
  const square = g.op('Unsqueeze', [eye, g.constInt64([0, 1])]);
  const one = g.constInt64([1]);
  const sizes = g.op('Concat', axis === 2 ? [one, one, size, n] : [one, one, n, size], { axis: 0 });
  let m = g.op('Resize', [square, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }, `map_resize_${tag}`);
  const r = (k.length - 1) / 2;
  const pads = axis === 2 ? [0, 0, r, 0, 0, 0, r, 0] : [0, 0, 0, r, 0, 0, 0, r];
  m = g.op('Pad', [m, g.constInt64(pads)], { mode: 'edge' });
  const kernel = g.initializer(`gauss_${tag}`, 'float32', axis === 2 ? [1, 1, k.length, 1] : [1, 1, 1, k.length], k);
  return g.op('Conv', [m, kernel], { kernel_shape: axis === 2 ? [k.length, 1] : [1, k.length] }, `map_operator_${tag}`);
}

/**
 * The smoothed anomaly map [N,1,H,W] of `errorMap` [N,1,h,w] at `image`'s H × W (σ in input pixels; 0 = no blur),
 * as one linear operator per axis:
 *   map = A_y · e · A_xᵀ,   A_y [H,h] and A_x [W,w] = bilinear half-pixel resize + edge padding + Gaussian along
 *   that axis, applied to the identity.
 * Every step is linear and acts on one axis, so the product equals Resize followed by the separable blur at full
 * size up to float rounding (test/unit/models/anomalyMap.test.ts checks it against that form). At 32×32 -> 256×256
 * the two MatMuls cost ~2.4 M multiply-adds against ~8.5 M for σ 8's 65-tap blur (PatchCore and KD's σ; measured in
 * PatchCore's README, session 5). Without blur (σ 0) it is ORT's Resize alone.
 */
export function upsampleAndSmooth(g: GraphBuilder, errorMap: string, image: string, sigma: number): string {
  const small = g.op('Shape', [errorMap]);
  const big = g.op('Shape', [image]);
  if (!(sigma > 0)) {
    // No blur: ORT's Resize alone is cheaper than the two MatMuls (few-shot's large maps: 94 vs 343 ms at 4096²).
    const sizes = g.op('Concat', [shapeSlice(g, small, 0, 2), shapeSlice(g, big, 2, 4)], { axis: 0 });
    return g.op('Resize', [errorMap, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }, 'smoothed_map');
  }
  const k = gaussianKernel(sigma);
  const ay = axisOperator(g, shapeSlice(g, small, 2, 3), shapeSlice(g, big, 2, 3), 2, k, 'y');
  const axT = axisOperator(g, shapeSlice(g, small, 3, 4), shapeSlice(g, big, 3, 4), 3, k, 'x');
  return g.op('MatMul', [g.op('MatMul', [ay, errorMap]), axT], {}, 'smoothed_map');
}

/** Image score [N] of a map [N,1,H,W]: its maximum (topFraction 0) or the mean of its top fraction of pixels. */
export function mapScore(g: GraphBuilder, map: string, topFraction = 0): string {
  if (!(topFraction > 0)) return g.op('ReduceMax', [map], { axes: [1, 2, 3], keepdims: 0 }, 'image_score');
  // Mean of the top fraction of map pixels: k = max(1, floor(fraction x H x W)), computed from the runtime shape
  // because inputs keep their aspect ratio.
  const shape = g.op('Shape', [map]);
  const pixels = g.op('ReduceProd', [shapeSlice(g, shape, 2, 4)], { keepdims: 1 });
  const kFloat = g.op('Floor', [g.op('Mul', [g.op('Cast', [pixels], { to: 1 }), g.constFloat(topFraction)])]);
  const k = g.op('Max', [g.op('Cast', [kFloat], { to: 7 }), g.constInt64([1])]);
  const flat = g.op('Reshape', [map, g.constInt64([0, -1])]);
  const top = g.node('TopK', [flat, k], { axis: 1, largest: 1, sorted: 0 }, { outputs: 2 })[0];
  return g.op('ReduceMean', [top], { axes: [1], keepdims: 0 }, 'image_score');
}
