/**
 * SSPCAB, self-supervised predictive convolutional attentive block (Ristea et al., CVPR 2022), as graph nodes.
 *
 * Masked convolution: four k×k kernels at the corners of a (2k + 2d + 1)² window; the window's centre (and the
 * d-wide ring around it) is never seen, so the block must predict each position from its context. Then ReLU and
 * squeeze-and-excitation channel attention (reduction r). Its own loss, MSE(output, input), trains it to
 * reconstruct the hidden centre; the caller adds it to the main loss with a weight (≈0.1).
 *
 * For k = 1 the four corner taps are one 2×2 convolution with dilation 2d + 2 (4 taps per output, the cheap
 * path); for k > 1 a full-window convolution whose weight is multiplied by a fixed 0/1 mask (same function).
 */
import { conv2d, type Net } from './index.js';

export interface SspcabOptions {
  /** k: side of each corner kernel (default 1). */
  kernel?: number;
  /** d: distance between the corner kernels and the hidden centre (default 1). */
  dilation?: number;
  /** Squeeze-and-excitation reduction (default 8). */
  reduction?: number;
}

/** 0/1 mask [window, window] of the taps a masked convolution uses: the four k×k corners. */
export function sspcabMask(kernel = 1, dilation = 1): { window: number; mask: Float32Array } {
  const window = 2 * kernel + 2 * dilation + 1;
  const mask = new Float32Array(window * window);
  for (let y = 0; y < window; y++)
    for (let x = 0; x < window; x++) {
      const corner = (v: number) => v < kernel || v >= window - kernel;
      if (corner(y) && corner(x)) mask[y * window + x] = 1;
    }
  return { window, mask };
}

/** The masked convolution alone (C -> C, same spatial size, with bias). */
export function maskedConv(net: Net, name: string, x: string, channels: number, o: SspcabOptions = {}): string {
  const k = o.kernel ?? 1;
  const d = o.dilation ?? 1;
  const { window, mask } = sspcabMask(k, d);
  if (k === 1) return conv2d(net, name, x, channels, channels, { kernel: 2, dilation: 2 * d + 2, pad: d + 1, bias: true });
  const g = net.g;
  const taps = 4 * k * k;
  const w = net.param(`${name}.weight`, [channels, channels, window, window], net.rng.normals(channels * channels * window * window, Math.sqrt(2 / (channels * taps))));
  const b = net.param(`${name}.bias`, [channels], new Float32Array(channels));
  const masked = g.op('Mul', [w, g.initializer(`${name}.mask`, 'float32', [1, 1, window, window], mask)]);
  const pad = (window - 1) / 2;
  return g.op('Conv', [x, masked, b], { kernel_shape: [window, window], pads: [pad, pad, pad, pad] }, name);
}

/** Squeeze-and-excitation (Hu et al.): x · sigmoid(W2 relu(W1 avgpool(x))). */
export function squeezeExcitation(net: Net, name: string, x: string, channels: number, reduction = 8): string {
  const g = net.g;
  const hidden = Math.max(1, Math.floor(channels / reduction));
  const pooled = g.op('GlobalAveragePool', [x]);
  const h = g.op('Relu', [conv2d(net, `${name}.fc1`, pooled, channels, hidden, { kernel: 1, pad: 0, bias: true })]);
  const s = g.op('Sigmoid', [conv2d(net, `${name}.fc2`, h, hidden, channels, { kernel: 1, pad: 0, bias: true })]);
  return g.op('Mul', [x, s], {}, `${name}.scale`);
}

/** SSPCAB on x [N,C,H,W] -> { output [N,C,H,W], loss: scalar MSE(output, x) }. */
export function sspcab(net: Net, name: string, x: string, channels: number, o: SspcabOptions = {}): { output: string; loss: string } {
  const g = net.g;
  const conv = g.op('Relu', [maskedConv(net, `${name}.masked`, x, channels, o)]);
  const output = squeezeExcitation(net, `${name}.se`, conv, channels, o.reduction ?? 8);
  const diff = g.op('Sub', [output, x]);
  const loss = g.op('ReduceMean', [g.op('Mul', [diff, diff])], { keepdims: 0 }, `${name}.loss`);
  return { output, loss };
}
