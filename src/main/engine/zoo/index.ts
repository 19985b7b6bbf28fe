/**
 * Reference networks with fixed, documented shapes (see ../README.md "Zoo"), used by the benchmarks and
 * rebuilt layer for layer in PyTorch by the parity benchmark. Each returns a forward model whose first output
 * is the scalar loss, plus its trainable parameter list and input shapes.
 */
import { GraphBuilder } from '../onnx/graph.js';
import type { ModelProto } from '../onnx/proto.js';
import { batchNorm, concat, conv2d, convBnRelu, convTranspose2d, globalAvgPoolFlat, linear, maxPool, Net, relu, residualBlock, upsample2x } from '../layers/index.js';

export interface ZooModel {
  model: ModelProto;
  loss: string;
  params: string[];
  inputs: Record<string, { dtype: 'float32' | 'int64'; dims: number[] }>;
}

/** torchvision resnet18 (BasicBlock [2,2,2,2], no conv biases) + Linear(512, classes), cross-entropy loss. */
export function resnet18(opts: { batch?: number; size?: number; classes?: number; seed?: number } = {}): ZooModel {
  const N = opts.batch ?? 16;
  const S = opts.size ?? 128;
  const classes = opts.classes ?? 10;
  const g = new GraphBuilder('resnet18');
  const net = new Net(g, opts.seed ?? 0);
  const x = g.input('x', 'float32', [N, 3, S, S]);
  const y = g.input('y', 'int64', [N]);
  let h = convBnRelu(net, 'stem', x, 3, 64, { kernel: 7, stride: 2, pad: 3 });
  h = maxPool(net, h, 3, 2, 1);
  const widths = [64, 128, 256, 512];
  let c = 64;
  widths.forEach((w, i) => {
    h = residualBlock(net, `layer${i + 1}.0`, h, c, w, i === 0 ? 1 : 2);
    h = residualBlock(net, `layer${i + 1}.1`, h, w, w, 1);
    c = w;
  });
  const logits = linear(net, 'fc', globalAvgPoolFlat(net, h), 512, classes);
  const loss = g.op('SoftmaxCrossEntropyLoss', [logits, y], { reduction: 'mean' }, 'loss');
  g.output(loss, 'float32', []);
  return { model: g.build(), loss, params: net.params, inputs: { x: { dtype: 'float32', dims: [N, 3, S, S] }, y: { dtype: 'int64', dims: [N] } } };
}

function doubleConv(net: Net, name: string, x: string, inC: number, outC: number): string {
  return convBnRelu(net, `${name}.b`, convBnRelu(net, `${name}.a`, x, inC, outC), outC, outC);
}

/**
 * Small U-Net (widths 16-32-64-128), reconstruction loss mean((out - target)^2):
 * enc1 DoubleConv(3,16)@S; enc2 MaxPool+DoubleConv(16,32)@S/2; enc3 MaxPool+DoubleConv(32,64)@S/4;
 * bottleneck MaxPool+DoubleConv(64,128)@S/8; up3 ConvTranspose(128,64,k2,s2) ++ enc3 -> DoubleConv(128,64);
 * up2 bilinear x2 ++ enc2 -> DoubleConv(96,32); up1 bilinear x2 ++ enc1 -> DoubleConv(48,16); head Conv1x1(16,3)+bias.
 */
export function smallUnet(opts: { batch?: number; size?: number; seed?: number } = {}): ZooModel {
  const N = opts.batch ?? 8;
  const S = opts.size ?? 256;
  const g = new GraphBuilder('small_unet');
  const net = new Net(g, opts.seed ?? 0);
  const x = g.input('x', 'float32', [N, 3, S, S]);
  const target = g.input('target', 'float32', [N, 3, S, S]);
  const e1 = doubleConv(net, 'enc1', x, 3, 16);
  const e2 = doubleConv(net, 'enc2', maxPool(net, e1), 16, 32);
  const e3 = doubleConv(net, 'enc3', maxPool(net, e2), 32, 64);
  const b = doubleConv(net, 'bottleneck', maxPool(net, e3), 64, 128);
  const d3 = doubleConv(net, 'dec3', concat(net, [convTranspose2d(net, 'up3', b, 128, 64), e3]), 128, 64);
  const d2 = doubleConv(net, 'dec2', concat(net, [upsample2x(net, d3), e2]), 96, 32);
  const d1 = doubleConv(net, 'dec1', concat(net, [upsample2x(net, d2), e1]), 48, 16);
  const out = conv2d(net, 'head', d1, 16, 3, { kernel: 1, pad: 0, bias: true });
  const diff = g.op('Sub', [out, target]);
  const loss = g.op('ReduceMean', [g.op('Mul', [diff, diff])], { keepdims: 0 }, 'loss');
  g.output(loss, 'float32', []);
  return { model: g.build(), loss, params: net.params, inputs: { x: { dtype: 'float32', dims: [N, 3, S, S] }, target: { dtype: 'float32', dims: [N, 3, S, S] } } };
}

export { batchNorm, relu };
