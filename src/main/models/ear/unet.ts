/**
 * EAR's recovery network: a small U-Net (engine layers) whose skip connections are switched per level.
 *
 *   enc_i = (conv3x3-BN-ReLU) x2 at 1/2^i of the U-Net input, then MaxPool 2 ("down_i") to the next level;
 *   mid   = (conv3x3-BN-ReLU) x2 at the bottom;
 *   dec_i = ConvTranspose 2x2/2 of the level below, concatenated with enc_i ("skip_i") when skip i is on,
 *           then (conv3x3-BN-ReLU) x2;  output = 1x1 conv of dec_0.
 *
 * `skips[i]` is a graph-construction parameter: training builds every skip on; the exported model builds the
 * shallow ones off, and then enc_i's only consumer is down_i (the graph has no edge from the shallow features to
 * the decoder), so a defect cannot be copied through at full resolution. A switched-off level's first decoder
 * conv keeps only the weights of the upsampled channels (= the trained conv fed zeros in place of the skip).
 */
import { StudioError } from '../../../shared/errors.js';
import type { GraphBuilder } from '../../engine/onnx/graph.js';
import { arrayToTensor, tensorToArray, type TypedArray } from '../../engine/onnx/proto.js';
import { Net, batchNorm, conv2d, convTranspose2d } from '../../engine/layers/index.js';

export interface UNetConfig {
  /** Channels per level, shallow first (its length = number of levels with a skip); the bottom has 2x the last. */
  channels: number[];
  inChannels: number;
}

function convBlock(net: Net, name: string, x: string, inC: number, outC: number, training: boolean): string {
  let h = x;
  [inC, outC].forEach((c, j) => {
    const conv = conv2d(net, `${name}.conv${j + 1}`, h, c, outC);
    h = net.g.op('Relu', [batchNorm(net, `${name}.bn${j + 1}`, conv, outC, training)]);
  });
  return h;
}

/** The recovered picture [N, inChannels, H, W]; H and W must be multiples of 2^levels. */
export function unet(net: Net, x: string, cfg: UNetConfig, skips: readonly boolean[], training: boolean): string {
  const L = cfg.channels.length;
  if (skips.length !== L) throw new StudioError('BAD_REQUEST', `The EAR U-Net has ${L} skip levels; got ${skips.length} switches (${skips.join(',')}).`);
  const enc: string[] = [];
  let h = x;
  let c = cfg.inChannels;
  for (let i = 0; i < L; i++) {
    enc.push(convBlock(net, `enc${i}`, h, c, cfg.channels[i], training));
    h = net.g.op('MaxPool', [enc[i]], { kernel_shape: [2, 2], strides: [2, 2] }, `down${i}`);
    c = cfg.channels[i];
  }
  const bottom = 2 * cfg.channels[L - 1];
  h = convBlock(net, 'mid', h, c, bottom, training);
  c = bottom;
  for (let i = L - 1; i >= 0; i--) {
    const up = convTranspose2d(net, `up${i}`, h, c, cfg.channels[i]);
    const joined = skips[i] ? net.g.op('Concat', [up, net.g.op('Identity', [enc[i]], {}, `skip${i}`)], { axis: 1 }) : up;
    h = convBlock(net, `dec${i}`, joined, skips[i] ? 2 * cfg.channels[i] : cfg.channels[i], cfg.channels[i], training);
    c = cfg.channels[i];
  }
  return conv2d(net, 'head', h, c, cfg.inChannels, { kernel: 1, bias: true });
}

export type WeightMap = Map<string, { dims: number[]; data: TypedArray }>;

/**
 * Copies trained values into `g`'s initializers of the same name. A switched-off level's decoder conv has fewer
 * input channels than its trained weight [out, up + skip, k, k]: it takes the first (upsampled-channel) slice.
 */
export function adoptWeights(g: GraphBuilder, weights: WeightMap): number {
  let adopted = 0;
  for (const [name, t] of g.initializers) {
    const w = weights.get(name);
    if (!w) continue;
    const { dims } = tensorToArray(t);
    let data = w.data as Float32Array;
    if (dims.join() !== w.dims.join()) {
      const sliceable = dims.length === 4 && w.dims.length === 4 && dims[0] === w.dims[0] && dims[1] < w.dims[1] && dims[2] === w.dims[2] && dims[3] === w.dims[3];
      if (!sliceable) throw new StudioError('INTERNAL', `Trained weight "${name}" is [${w.dims}], the EAR inference graph needs [${dims}].`);
      const per = dims[2] * dims[3];
      const out = new Float32Array(dims[0] * dims[1] * per);
      for (let o = 0; o < dims[0]; o++) out.set(data.subarray(o * w.dims[1] * per, o * w.dims[1] * per + dims[1] * per), o * dims[1] * per);
      data = out;
    }
    g.initializers.set(name, arrayToTensor(name, 'float32', dims, data));
    adopted++;
  }
  return adopted;
}
