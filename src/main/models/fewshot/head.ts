/**
 * The few-shot segmentation head and the graph pieces it shares between training and the exported model:
 *
 *   image uint8 -> backbone patch features [N,C,h,w] (frozen; the PatchCore feature pieces, unscaled)
 *               -> base model's anomaly_map [N,1,H,W] / base threshold -> avg + max pool to the feature grid
 *                  -> log(1 + x)                                                    = map channels [N,2,h,w]
 *   head: standardise features (constants measured on the labelled views) ++ map channels
 *         -> 1x1 conv (reduce) -> 3x3 conv -> 3x3 conv (dilation 2) -> 1x1 conv = deep logit
 *         + 1x1 conv of the map channels alone (a direct path: the head starts from "trust the base map")
 *                                                                                   = logit [N,1,h,w]
 * Training feeds precomputed features + map channels (the backbone and base model are frozen, so computing them
 * once per augmented view is exact and ~100x cheaper than running them every step); the exported model runs the
 * same builder functions on the image, so training and inference see identical inputs.
 */
import { conv2d, Net, relu } from '../../engine/layers/index.js';
import type { GraphBuilder } from '../../engine/onnx/graph.js';
import type { ModelProto } from '../../engine/onnx/proto.js';
import { embedBackbone } from '../backbones/embed.js';
import type { Backbone } from '../backbones/types.js';
import { MAP_OUTPUT, SCORE_OUTPUT } from '../modelFolder.js';
import { imageToUnit, patchFeatures } from '../patchcore/network.js';

export interface HeadInputSpec {
  backbone: Backbone;
  /** Two backbone feature names, finer first; the finer one's stride is the head's grid. */
  levels: [string, string];
  photometric: boolean;
  gridStride: number;
  /** The base (unsupervised) model.onnx and its decision threshold, which normalises its map. */
  base: ModelProto;
  baseThreshold: number;
}

/** Features and base-map channels on the head grid, from the uint8 image input. */
export function headInputs(g: GraphBuilder, image: string, s: HeadInputSpec): { features: string; mapChannels: string; baseScoreOverThreshold: string } {
  const features = patchFeatures(g, s.backbone, imageToUnit(g, image, s.photometric), { levels: s.levels });
  // The base model is copied in whole (prefix base/, so its own embedded backbone cannot clash with ours).
  const baseAsGraph: Backbone = { name: 'base model', features: [], normalisation: s.backbone.normalisation, provenance: 'base model', model: s.base };
  const base = embedBackbone(g, baseAsGraph, image, [MAP_OUTPUT, SCORE_OUTPUT], 'base/');
  const threshold = g.constFloat(s.baseThreshold > 0 ? s.baseThreshold : 1, [], 'base_threshold');
  const unit = g.op('Div', [g.op('Relu', [base[MAP_OUTPUT]]), threshold], {}, 'base_map_over_threshold');
  const baseScoreOverThreshold = g.op('Div', [base[SCORE_OUTPUT], threshold], {}, 'base_score_over_threshold');
  const k = s.gridStride;
  const pool = { kernel_shape: [k, k], strides: [k, k] };
  const avg = g.op('AveragePool', [unit], pool, 'base_map_avg');
  const max = g.op('MaxPool', [unit], pool, 'base_map_max');
  const mapChannels = g.op('Log', [g.op('Add', [g.op('Concat', [avg, max], { axis: 1 }), g.constFloat(1)])], {}, 'map_channels');
  return { features, mapChannels, baseScoreOverThreshold };
}

/** A Net whose parameters take given values (trained weights, or a chosen initial bias) instead of the random init. */
export class WeightedNet extends Net {
  constructor(g: GraphBuilder, seed: number, private readonly values: ReadonlyMap<string, Float32Array>) {
    super(g, seed);
  }
  override param(name: string, dims: number[], init: Float32Array): string {
    const v = this.values.get(name);
    return super.param(name, dims, v && v.length === init.length ? v : init);
  }
}

export interface HeadSpec {
  channels: number;
  width: number;
  /** Per-channel mean and 1/std of the features, measured on the labelled views. */
  mean: Float32Array;
  invStd: Float32Array;
}

/** The head's logit [N,1,h,w]; parameters go to net.params. */
export function headLogits(net: Net, features: string, mapChannels: string, h: HeadSpec): string {
  const g = net.g;
  const C = h.channels;
  const std = g.op('Mul', [g.op('Sub', [features, g.initializer('head_feature_mean', 'float32', [1, C, 1, 1], h.mean)]), g.initializer('head_feature_inv_std', 'float32', [1, C, 1, 1], h.invStd)]);
  const x = g.op('Concat', [std, mapChannels], { axis: 1 });
  let y = relu(net, conv2d(net, 'head.reduce', x, C + 2, h.width, { kernel: 1, bias: true }));
  y = relu(net, conv2d(net, 'head.conv1', y, h.width, h.width, { kernel: 3, bias: true }));
  y = relu(net, conv2d(net, 'head.conv2', y, h.width, h.width, { kernel: 3, dilation: 2, bias: true }));
  const deep = conv2d(net, 'head.out', y, h.width, 1, { kernel: 1, bias: true });
  const direct = conv2d(net, 'head.map', mapChannels, 2, 1, { kernel: 1, bias: true });
  return g.op('Add', [deep, direct], {}, 'head_logit');
}

/** Names of the scalar loss terms the training graph reports. */
export const LOSS_TERMS = { bce: 'loss_weighted_bce', dice: 'loss_dice' } as const;

/**
 * Class-balanced loss on the head grid: positive-weighted BCE (weight `posWeight` on defect cells, soft targets =
 * the defect fraction of each cell) + soft Dice over the batch. Defects cover ~1% of a tile: plain BCE is
 * minimised by predicting "good" everywhere; the weight and the Dice term (scale-free) prevent that.
 */
export function headLoss(g: GraphBuilder, logit: string, target: string, posWeight: number): string {
  const bce = g.op('Sub', [g.op('Softplus', [logit]), g.op('Mul', [target, logit])]);
  const w = g.op('Add', [g.op('Mul', [target, g.constFloat(posWeight - 1)]), g.constFloat(1)]);
  const sum = (x: string) => g.op('ReduceSum', [x], { keepdims: 0 });
  const wbce = g.op('Div', [sum(g.op('Mul', [w, bce])), sum(w)]);
  const p = g.op('Sigmoid', [logit]);
  const one = g.constFloat(1);
  const inter = g.op('Add', [g.op('Mul', [sum(g.op('Mul', [p, target])), g.constFloat(2)]), one]);
  const dice = g.op('Sub', [one, g.op('Div', [inter, g.op('Add', [g.op('Add', [sum(p), sum(target)]), one])])]);
  g.node('Identity', [wbce], {}, { outputs: [LOSS_TERMS.bce] });
  g.node('Identity', [dice], {}, { outputs: [LOSS_TERMS.dice] });
  return g.op('Add', [LOSS_TERMS.bce, LOSS_TERMS.dice], {}, 'loss');
}
