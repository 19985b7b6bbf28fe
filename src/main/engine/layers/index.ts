/**
 * Layer helpers: functions that add the nodes and parameters of one layer to a GraphBuilder, with PyTorch's
 * parameter layouts (Conv weight [out, in/groups, kh, kw], Linear weight [out, in]) so weights move between the
 * two frameworks unchanged. Parameters are recorded in `net.params` (the trainable list for the optimizer);
 * BatchNorm running statistics are initializers but not parameters.
 * Initialisation: He (Kaiming) normal, std = sqrt(2 / fan_in), from the net's seeded Rng; biases zero.
 */
import { GraphBuilder } from '../onnx/graph.js';
import { Rng } from '../rng.js';

export class Net {
  readonly params: string[] = [];
  readonly rng: Rng;
  constructor(readonly g: GraphBuilder, seed = 0) {
    this.rng = new Rng(seed);
  }

  param(name: string, dims: number[], init: Float32Array): string {
    const n = this.g.initializer(name, 'float32', dims, init);
    this.params.push(n);
    return n;
  }
}

export interface Conv2dOptions {
  kernel?: number;
  stride?: number;
  pad?: number;
  dilation?: number;
  groups?: number;
  bias?: boolean;
}

export function conv2d(net: Net, name: string, x: string, inC: number, outC: number, o: Conv2dOptions = {}): string {
  const k = o.kernel ?? 3;
  const groups = o.groups ?? 1;
  const fanIn = (inC / groups) * k * k;
  const w = net.param(`${name}.weight`, [outC, inC / groups, k, k], net.rng.normals(outC * fanIn, Math.sqrt(2 / fanIn)));
  const inputs = [x, w];
  if (o.bias) inputs.push(net.param(`${name}.bias`, [outC], new Float32Array(outC)));
  const pad = o.pad ?? Math.floor(((k - 1) * (o.dilation ?? 1)) / 2);
  return net.g.op(
    'Conv',
    inputs,
    { kernel_shape: [k, k], strides: [o.stride ?? 1, o.stride ?? 1], pads: [pad, pad, pad, pad], dilations: [o.dilation ?? 1, o.dilation ?? 1], group: groups },
    name,
  );
}

/** ConvTranspose with weight [in, out/groups, k, k] (PyTorch layout), e.g. k=2 s=2 for U-Net upsampling. */
export function convTranspose2d(net: Net, name: string, x: string, inC: number, outC: number, k = 2, stride = 2, bias = true): string {
  const fanIn = outC * k * k; // PyTorch computes fan_in of ConvTranspose weights from dim 1
  const w = net.param(`${name}.weight`, [inC, outC, k, k], net.rng.normals(inC * outC * k * k, Math.sqrt(2 / fanIn)));
  const inputs = [x, w];
  if (bias) inputs.push(net.param(`${name}.bias`, [outC], new Float32Array(outC)));
  return net.g.op('ConvTranspose', inputs, { kernel_shape: [k, k], strides: [stride, stride] }, name);
}

/** BatchNorm in training mode (batch statistics; running stats are outputs the Trainer carries as state). */
export function batchNorm(net: Net, name: string, x: string, C: number, training = true): string {
  const scale = net.param(`${name}.weight`, [C], new Float32Array(C).fill(1));
  const bias = net.param(`${name}.bias`, [C], new Float32Array(C));
  const mean = net.g.initializer(`${name}.running_mean`, 'float32', [C], new Float32Array(C));
  const variance = net.g.initializer(`${name}.running_var`, 'float32', [C], new Float32Array(C).fill(1));
  if (!training) return net.g.op('BatchNormalization', [x, scale, bias, mean, variance], { epsilon: 1e-5 }, name);
  return net.g.node('BatchNormalization', [x, scale, bias, mean, variance], { epsilon: 1e-5, momentum: 0.9, training_mode: 1 }, { outputs: 3, name })[0];
}

export function relu(net: Net, x: string): string {
  return net.g.op('Relu', [x]);
}

/** conv -> BN -> ReLU. */
export function convBnRelu(net: Net, name: string, x: string, inC: number, outC: number, o: Conv2dOptions = {}): string {
  return relu(net, batchNorm(net, `${name}.bn`, conv2d(net, `${name}.conv`, x, inC, outC, o), outC));
}

/** torchvision BasicBlock: conv3x3(stride)-BN-ReLU-conv3x3-BN + shortcut (1x1 conv stride + BN when shape changes), ReLU. */
export function residualBlock(net: Net, name: string, x: string, inC: number, outC: number, stride = 1): string {
  const h = convBnRelu(net, `${name}.1`, x, inC, outC, { stride });
  const h2 = batchNorm(net, `${name}.bn2`, conv2d(net, `${name}.conv2`, h, outC, outC), outC);
  const shortcut = stride !== 1 || inC !== outC
    ? batchNorm(net, `${name}.downsample.bn`, conv2d(net, `${name}.downsample.conv`, x, inC, outC, { kernel: 1, stride, pad: 0 }), outC)
    : x;
  return relu(net, net.g.op('Add', [h2, shortcut]));
}

/** Bilinear x2 upsampling as PyTorch's nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False) exports it. */
export function upsample2x(net: Net, x: string, mode: 'linear' | 'nearest' = 'linear'): string {
  const scales = net.g.constFloat([1, 1, 2, 2], [4], 'upsample.scales');
  const attrs = mode === 'linear'
    ? { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' }
    : { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' };
  return net.g.op('Resize', [x, '', scales], attrs);
}

export function concat(net: Net, xs: string[], axis = 1): string {
  return net.g.op('Concat', xs, { axis });
}

/** Linear layer y = x W^T + b with W [out, in] (PyTorch layout), as one Gemm. */
export function linear(net: Net, name: string, x: string, inF: number, outF: number, bias = true): string {
  const w = net.param(`${name}.weight`, [outF, inF], net.rng.normals(outF * inF, Math.sqrt(2 / inF)));
  const inputs = [x, w];
  if (bias) inputs.push(net.param(`${name}.bias`, [outF], new Float32Array(outF)));
  return net.g.op('Gemm', inputs, { transB: 1 }, name);
}

export function maxPool(net: Net, x: string, k = 2, stride = k, pad = 0): string {
  return net.g.op('MaxPool', [x], { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] });
}

export function globalAvgPoolFlat(net: Net, x: string): string {
  return net.g.op('Flatten', [net.g.op('GlobalAveragePool', [x])], { axis: 1 });
}
