/**
 * Patch scores -> anomaly map and image score, inside the graph:
 *   patch scores [N,1,h,w] -> bilinear resize to the input's H x W -> separable Gaussian blur (σ in input pixels,
 *   edge-padded Convs with a fixed kernel, radius ⌈4σ⌉) = anomaly_map [N,1,H,W]; max over the map = score [N].
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

/** Patch scores [N,1,h,w] -> smoothed anomaly map [N,1,H,W] at the input image's size, and score [N]. */
export function anomalyMapAndScore(g: GraphBuilder, patchScores: string, image: string, sigma: number): { map: string; score: string } {
  const imgShape = g.op('Shape', [image]);
  const sizes = g.op('Concat', [shapeSlice(g, g.op('Shape', [patchScores]), 0, 2), shapeSlice(g, imgShape, 2, 4)], { axis: 0 });
  let map = g.op('Resize', [patchScores, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }, 'upsample_map');
  if (sigma > 0) {
    const k = gaussianKernel(sigma);
    const r = (k.length - 1) / 2;
    const padded = g.op('Pad', [map, g.constInt64([0, 0, r, r, 0, 0, r, r])], { mode: 'edge' });
    const h = g.op('Conv', [padded, g.initializer('gauss_x', 'float32', [1, 1, 1, k.length], k)], { kernel_shape: [1, k.length] }, 'blur_x');
    map = g.op('Conv', [h, g.initializer('gauss_y', 'float32', [1, 1, k.length, 1], k)], { kernel_shape: [k.length, 1] }, 'blur_y');
  }
  const score = g.op('ReduceMax', [map], { axes: [1, 2, 3], keepdims: 0 }, 'image_score');
  return { map, score };
}
