/**
 * SSIM from engine ops (Wang et al. 2004): local means, variances and covariance under a Gaussian window
 * (σ = 1.5 px, separable Convs with a fixed kernel), per pixel
 *   ssim = (2·μx·μy + C1)(2·σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2)),  C1 = 0.01², C2 = 0.03² (range 1).
 * The window kernel reuses PatchCore's gaussianKernel. Used twice: as a loss (valid window, differentiable in
 * the engine's autodiff) and in the exported model's error map (edge-padded, same size as the input).
 */
import type { GraphBuilder } from '../../engine/onnx/graph.js';
import { gaussianKernel } from '../patchcore/anomalyMap.js';

export const SSIM_SIGMA = 1.5;
const C1 = 0.01 ** 2;
const C2 = 0.03 ** 2;

/** SSIM map of single-channel x, y [N,1,H,W]; `same` pads (edge) so the map keeps H x W, else valid (smaller). */
export function ssimMap(g: GraphBuilder, x: string, y: string, same: boolean, sigma = SSIM_SIGMA): string {
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  let blur: (v: string) => string;
  if (same) {
    // Inference: separable (two 1-D Convs), edge-padded to keep the size.
    const kx = g.initializer('ssim_window_x', 'float32', [1, 1, 1, k.length], k);
    const ky = g.initializer('ssim_window_y', 'float32', [1, 1, k.length, 1], k);
    const pads = g.constInt64([0, 0, r, r, 0, 0, r, r]);
    blur = (v) => g.op('Conv', [g.op('Conv', [g.op('Pad', [v, pads], { mode: 'edge' }), kx], { kernel_shape: [1, k.length] }), ky], { kernel_shape: [k.length, 1] });
  } else {
    // Loss: one square 13 x 13 window Conv, valid (no padding to differentiate); on one channel of a 64 px crop it
    // is cheap. (The separable pair trained identically in a 200-step check; either works.)
    const k2 = new Float32Array(k.length * k.length);
    for (let i = 0; i < k.length; i++) for (let j = 0; j < k.length; j++) k2[i * k.length + j] = k[i] * k[j];
    const w = g.initializer('ssim_window', 'float32', [1, 1, k.length, k.length], k2);
    blur = (v) => g.op('Conv', [v, w], { kernel_shape: [k.length, k.length] });
  }
  const mul = (a: string, b: string) => g.op('Mul', [a, b]);
  const add = (a: string, b: string) => g.op('Add', [a, b]);
  const sub = (a: string, b: string) => g.op('Sub', [a, b]);
  const c = (v: number) => g.constFloat(v, [], 'ssim_c');
  const mx = blur(x);
  const my = blur(y);
  const mxx = mul(mx, mx);
  const myy = mul(my, my);
  const mxy = mul(mx, my);
  const vx = sub(blur(mul(x, x)), mxx);
  const vy = sub(blur(mul(y, y)), myy);
  const cxy = sub(blur(mul(x, y)), mxy);
  const num = mul(add(mul(c(2), mxy), c(C1)), add(mul(c(2), cxy), c(C2)));
  const den = mul(add(add(mxx, myy), c(C1)), add(add(vx, vy), c(C2)));
  return g.op('Div', [num, den], {}, 'ssim_map');
}
