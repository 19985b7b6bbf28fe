/**
 * A small ResNet-style backbone written with the GraphBuilder: the architecture CoRe pretrains. Until CoRe
 * weights exist it is used with seeded He-normal random weights, which still give PatchCore usable local texture
 * descriptors (random convolutions are a known, if weak, baseline).
 *
 * Layout: stem 3x3/2 (32) -> 3x3/2 (64) = stride 4; layer1 basic block 64 (stride 4); layer2 basic block 128
 * (stride 8); layer3 basic block 256 (stride 16). No BatchNorm: with random weights there are no statistics to
 * fold; residual branches are scaled by 1/√2 so activations keep their scale with depth.
 */
import { GraphBuilder } from '../../engine/onnx/graph.js';
import { gaussian, mulberry32 } from '../random.js';
import type { Backbone, FeatureSpec } from './types.js';

export const RESNET_FEATURES: FeatureSpec[] = [
  { name: 'layer1', stride: 4, channels: 64 },
  { name: 'layer2', stride: 8, channels: 128 },
  { name: 'layer3', stride: 16, channels: 256 },
];

export function buildResNet(seed = 0): Backbone {
  const rand = gaussian(mulberry32(seed));
  const g = new GraphBuilder('resnet_small');
  const image = g.input('image', 'float32', ['N', 3, 'H', 'W']);
  const mean = [0.5, 0.5, 0.5] as [number, number, number];
  const std = [0.25, 0.25, 0.25] as [number, number, number];
  const x0 = g.op('Div', [g.op('Sub', [image, g.constFloat(mean, [1, 3, 1, 1])]), g.constFloat(std, [1, 3, 1, 1])], {}, 'normalise');

  const conv = (x: string, cin: number, cout: number, k: number, stride: number, name: string): string => {
    const n = cout * cin * k * k;
    const w = new Float32Array(n);
    const s = Math.sqrt(2 / (cin * k * k)); // He-normal for ReLU
    for (let i = 0; i < n; i++) w[i] = rand() * s;
    const p = (k - 1) >> 1;
    return g.op('Conv', [x, g.initializer(`${name}.weight`, 'float32', [cout, cin, k, k], w)], {
      kernel_shape: [k, k], strides: [stride, stride], pads: [p, p, p, p],
    }, name);
  };
  const relu = (x: string) => g.op('Relu', [x]);
  const block = (x: string, cin: number, cout: number, stride: number, name: string): string => {
    const h = conv(relu(conv(x, cin, cout, 3, stride, `${name}.conv1`)), cout, cout, 3, 1, `${name}.conv2`);
    const skip = cin === cout && stride === 1 ? x : conv(x, cin, cout, 1, stride, `${name}.down`);
    return relu(g.op('Mul', [g.op('Add', [h, skip]), g.constFloat(Math.SQRT1_2)]));
  };

  let x = relu(conv(x0, 3, 32, 3, 2, 'stem.conv1'));
  x = relu(conv(x, 32, 64, 3, 2, 'stem.conv2'));
  const outs = [block(x, 64, 64, 1, 'layer1')];
  outs.push(block(outs[0], 64, 128, 2, 'layer2'));
  outs.push(block(outs[1], 128, 256, 2, 'layer3'));
  RESNET_FEATURES.forEach((f, k) => {
    g.node('Identity', [outs[k]], {}, { outputs: [f.name], name: `out_${f.name}` });
    g.output(f.name, 'float32', ['N', f.channels, `H${f.stride}`, `W${f.stride}`]);
  });
  const info = {
    name: 'resnet-random',
    features: RESNET_FEATURES,
    normalisation: { mean, std },
    provenance: `ResNet-style backbone (src/main/models/backbones/resnet.ts), He-normal random weights, seed ${seed}`,
  };
  return { ...info, model: g.build({ producer: 'defect-studio', metadata: {} }) };
}
