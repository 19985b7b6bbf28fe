/**
 * The error map [N,1,h,w] -> anomaly map [N,1,H,W] at the input's size: the same linear map as PatchCore's
 * anomalyMapAndScore (bilinear half-pixel resize, edge padding, separable Gaussian of radius ⌈4σ⌉), computed as
 *   map = A_y · e · A_xᵀ,   A_y [H,h] and A_x [W,w] = that pipeline applied along one axis to the identity.
 * Every step is linear and acts on one axis, so the product equals the resize + blur up to float rounding. On a
 * 32×32 error map and a 256×256 input the two MatMuls cost ~2.4 M multiply-adds instead of the blur's 4.3 M at
 * full size (the blur was ~6 % of EAR's kernel time, README.md session 5); A_y and A_x cost little (h × H cells).
 */
import type { GraphBuilder } from '../../engine/onnx/graph.js';
import { gaussianKernel } from '../patchcore/anomalyMap.js';

function dim(g: GraphBuilder, shape: string, axis: number): string {
  return g.op('Slice', [shape, g.constInt64([axis]), g.constInt64([axis + 1]), g.constInt64([0])]);
}

/**
 * [1,1,n,n] (axis 2) or its transpose layout (axis 3): the resize + pad + blur of each unit impulse along `axis`,
 * i.e. the 1-D operator as a matrix: [1,1,N,n] for axis 2, [1,1,n,N] for axis 3.
 */
function axisOperator(g: GraphBuilder, n: string, size: string, axis: 2 | 3, k: Float32Array | undefined, tag: string): string {
  const eye = g.op('EyeLike', [g.op('Expand', [g.constFloat(0), g.op('Concat', [n, n], { axis: 0 })])]);
  const square = g.op('Unsqueeze', [eye, g.constInt64([0, 1])]);
  const one = g.constInt64([1]);
  const sizes = g.op('Concat', axis === 2 ? [one, one, size, n] : [one, one, n, size], { axis: 0 });
  let m = g.op('Resize', [square, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }, `map_resize_${tag}`);
  if (!k) return m;
  const r = (k.length - 1) / 2;
  const pads = axis === 2 ? [0, 0, r, 0, 0, 0, r, 0] : [0, 0, 0, r, 0, 0, 0, r];
  m = g.op('Pad', [m, g.constInt64(pads)], { mode: 'edge' });
  const kernel = g.initializer(`gauss_${tag}`, 'float32', axis === 2 ? [1, 1, k.length, 1] : [1, 1, 1, k.length], k);
  return g.op('Conv', [m, kernel], { kernel_shape: axis === 2 ? [k.length, 1] : [1, k.length] }, `map_operator_${tag}`);
}

/** The smoothed anomaly map [N,1,H,W] of `errorMap` [N,1,h,w] at `image`'s H × W (σ in input pixels; 0 = no blur). */
export function upsampleAndSmooth(g: GraphBuilder, errorMap: string, image: string, sigma: number): string {
  const k = sigma > 0 ? gaussianKernel(sigma) : undefined;
  const small = g.op('Shape', [errorMap]);
  const big = g.op('Shape', [image]);
  const ay = axisOperator(g, dim(g, small, 2), dim(g, big, 2), 2, k, 'y');
  const axT = axisOperator(g, dim(g, small, 3), dim(g, big, 3), 3, k, 'x');
  return g.op('MatMul', [g.op('MatMul', [ay, errorMap]), axT], {}, 'smoothed_map');
}
