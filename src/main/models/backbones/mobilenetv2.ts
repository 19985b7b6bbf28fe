/**
 * MobileNetV2 (ImageNet, width 1.0) rebuilt as ONNX from the Keras 2.2.4 / TF.js layers model that the npm package
 * nsfwjs 4.4.0 (MIT) ships. Only layers up to block_10_project_BN are used: nsfwjs froze them at their ImageNet
 * values (trainable: false) and fine-tuned the rest on another task.
 *
 * Conversion choices (each checked by the parity run in scripts/convert-mobilenetv2.ts against TF.js):
 * - BatchNorm (eps 1e-3) is folded into the preceding conv: w' = w·γ/√(σ²+ε), b' = β − μ·γ/√(σ²+ε).
 * - Stride-2 convs follow Keras' ZeroPadding2D((0,1),(0,1)): pad bottom/right only.
 * - ReLU6 = Clip(0, 6). Input [0,1] RGB is scaled to [−1, 1] inside the graph (Keras' preprocess_input).
 */
import { GraphBuilder } from '../../engine/onnx/graph.js';
import type { BackboneInfo, FeatureSpec } from './types.js';

export interface KerasLayer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, unknown][][];
}

export interface KerasWeights {
  get(name: string): { shape: number[]; data: Float32Array };
}

export const MOBILENETV2_LAST_LAYER = 'block_10_project_BN';

/** Feature outputs: Keras layer whose output is exported, under a short name. Strides follow the 4 stride-2 convs. */
export const MOBILENETV2_FEATURES: (FeatureSpec & { layer: string })[] = [
  { name: 'block_1_expand', layer: 'block_1_expand_relu', stride: 2, channels: 96 },
  { name: 'block_2', layer: 'block_2_add', stride: 4, channels: 24 },
  { name: 'block_3_expand', layer: 'block_3_expand_relu', stride: 4, channels: 144 },
  { name: 'block_5', layer: 'block_5_add', stride: 8, channels: 32 },
  { name: 'block_6_expand', layer: 'block_6_expand_relu', stride: 8, channels: 192 },
  { name: 'block_9', layer: 'block_9_add', stride: 16, channels: 64 },
  // The expansion before block_10's linear projection (after ReLU6): 4x block_10's channels at the same stride, for
  // methods that compare features by cosine (KD's stride-16 level); listed before block_10 so the last feature stays block_10.
  { name: 'block_10_expand', layer: 'block_10_expand_relu', stride: 16, channels: 384 },
  { name: 'block_10', layer: 'block_10_project_BN', stride: 16, channels: 96 },
];

export const MOBILENETV2_INFO: BackboneInfo = {
  name: 'mobilenetv2-imagenet',
  features: MOBILENETV2_FEATURES.map(({ name, stride, channels }) => ({ name, stride, channels })),
  normalisation: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
  provenance: 'ImageNet MobileNetV2 prefix (up to block_10_project_BN) from npm nsfwjs 4.4.0 (MIT), uint8-dequantized; see resources/models/PROVENANCE.md',
};

/** Keras [kh, kw, in, out] -> ONNX [out, in, kh, kw]; depthwise [kh, kw, c, 1] -> [c, 1, kh, kw]. */
function toOihw(k: { shape: number[]; data: Float32Array }, depthwise: boolean): { dims: number[]; data: Float32Array } {
  const [kh, kw, cin, cout] = k.shape;
  const O = depthwise ? cin * cout : cout;
  const I = depthwise ? 1 : cin;
  const out = new Float32Array(O * I * kh * kw);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) {
          const src = k.data[((y * kw + x) * cin + i) * cout + o];
          const oo = depthwise ? i * cout + o : o;
          const ii = depthwise ? 0 : i;
          out[((oo * I + ii) * kh + y) * kw + x] = src;
        }
  return { dims: [O, I, kh, kw], data: out };
}

/**
 * Builds the graph from the Keras layer list. Returns the builder with input `image` and one output per feature.
 * Throws on a layer type it does not know, naming it, rather than silently skipping it.
 */
export function buildMobileNetV2(layers: KerasLayer[], weights: KerasWeights, eps = 1e-3): GraphBuilder {
  const g = new GraphBuilder('mobilenetv2_imagenet');
  const image = g.input('image', 'float32', ['N', 3, 'H', 'W']);
  const scaled = g.op('Sub', [g.op('Mul', [image, g.constFloat(2)]), g.constFloat(1)], {}, 'scale_to_pm1');
  const value = new Map<string, string>([['input_1', scaled]]);
  const pendingPad = new Map<string, number[]>(); // ZeroPadding2D output -> its [top,left,bottom,right], merged into the next conv
  const byName = new Map(layers.map((l) => [l.name, l]));
  const consumedBn = new Set<string>();

  for (const layer of layers) {
    const c = layer.config;
    const inputs = (layer.inbound_nodes[0] ?? []).map((n) => n[0]);
    const src = inputs[0];
    switch (layer.class_name) {
      case 'InputLayer':
        break;
      case 'ZeroPadding2D': {
        const p = c.padding as [[number, number], [number, number]];
        pendingPad.set(layer.name, [p[0][0], p[1][0], p[0][1], p[1][1]]);
        value.set(layer.name, value.get(src)!);
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const depthwise = layer.class_name === 'DepthwiseConv2D';
        const kernel = weights.get(`${layer.name}/${depthwise ? 'depthwise_kernel' : 'kernel'}`);
        const { dims, data } = toOihw(kernel, depthwise);
        const [kh, kw] = kernel.shape;
        const strides = c.strides as number[];
        let pads: number[];
        if (pendingPad.has(src)) pads = pendingPad.get(src)!;
        else if (c.padding === 'same') {
          if (strides[0] !== 1) throw new Error(`Layer ${layer.name}: 'same' padding with stride ${strides[0]} is not handled.`);
          pads = [(kh - 1) >> 1, (kw - 1) >> 1, kh >> 1, kw >> 1];
        } else pads = [0, 0, 0, 0];
        // Fold the BatchNormalization that consumes this conv (every conv here has one, use_bias false).
        const bn = layers.find((l) => l.class_name === 'BatchNormalization' && l.inbound_nodes[0]?.[0]?.[0] === layer.name);
        if (!bn) throw new Error(`Layer ${layer.name}: expected a BatchNormalization after it.`);
        const gamma = weights.get(`${bn.name}/gamma`).data;
        const beta = weights.get(`${bn.name}/beta`).data;
        const mean = weights.get(`${bn.name}/moving_mean`).data;
        const variance = weights.get(`${bn.name}/moving_variance`).data;
        const bnEps = (bn.config.epsilon as number | undefined) ?? eps;
        const O = dims[0];
        const per = data.length / O;
        const bias = new Float32Array(O);
        for (let o = 0; o < O; o++) {
          const s = gamma[o] / Math.sqrt(variance[o] + bnEps);
          for (let k = 0; k < per; k++) data[o * per + k] *= s;
          bias[o] = beta[o] - mean[o] * s;
        }
        const w = g.initializer(`${layer.name}.weight`, 'float32', dims, data);
        const b = g.initializer(`${layer.name}.bias`, 'float32', [O], bias);
        const y = g.op('Conv', [value.get(src)!, w, b], {
          kernel_shape: [kh, kw],
          strides,
          pads,
          group: depthwise ? dims[0] : 1,
        }, layer.name);
        value.set(layer.name, y);
        value.set(bn.name, y);
        consumedBn.add(bn.name);
        break;
      }
      case 'BatchNormalization':
        if (!consumedBn.has(layer.name)) throw new Error(`BatchNormalization ${layer.name} does not follow a conv; not handled.`);
        break;
      case 'ReLU': {
        const max = c.max_value as number | undefined;
        const y = max === undefined
          ? g.op('Relu', [value.get(src)!], {}, layer.name)
          : g.op('Clip', [value.get(src)!, g.constFloat(0), g.constFloat(max)], {}, layer.name);
        value.set(layer.name, y);
        break;
      }
      case 'Add':
        value.set(layer.name, g.op('Add', inputs.map((i) => value.get(i)!), {}, layer.name));
        break;
      default:
        throw new Error(`Layer ${layer.name} has type ${layer.class_name}, which the MobileNetV2 converter does not handle.`);
    }
    if (layer.name === MOBILENETV2_LAST_LAYER) break;
  }
  for (const f of MOBILENETV2_FEATURES) {
    if (!byName.has(f.layer)) throw new Error(`MobileNetV2 topology has no layer ${f.layer}.`);
    // Outputs carry the feature's short name so that every backbone exposes the names its BackboneInfo declares.
    g.node('Identity', [value.get(f.layer)!], {}, { outputs: [f.name], name: `out_${f.name}` });
    g.output(f.name, 'float32', ['N', f.channels, `H${f.stride}`, `W${f.stride}`]);
  }
  return g;
}
