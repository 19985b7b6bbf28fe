/**
 * CoRe networks, written with the GraphBuilder and the engine's layer helpers:
 * - the encoder: the ResNet-style layout of backbones/resnet.ts (stem 3x3/2 32 -> 3x3/2 64 = stride 4; layer1
 *   64 @4, layer2 128 @8, layer3 256 @16), here with BatchNorm (torchvision BasicBlocks) because it is trained;
 * - the pretraining graph: one encoder pass over [view1; view2; corrupted] (shared weights, one BN batch),
 *   a projection head + InfoNCE over the 2B views (temperature a setting), a light decoder restoring the
 *   original from the corrupted third (MSE), loss = contrastive + weight * restorative, both terms as outputs;
 * - the exported backbone: the same encoder with inference-mode BN and the trained weights, input `image` in
 *   [0, 1], outputs layer1..layer3 declared as BackboneInfo (loadBackboneFile / `train --backbone FILE.onnx`).
 * Parameter names are identical in the training and backbone graphs, so export copies tensors by name.
 */
import { GraphBuilder } from '../../engine/onnx/graph.js';
import { arrayToTensor, onnx, type ModelProto, type TypedArray } from '../../engine/onnx/proto.js';
import { batchNorm, conv2d, convBnRelu, globalAvgPoolFlat, linear, Net, relu, residualBlock, upsample2x } from '../../engine/layers/index.js';
import { RESNET_FEATURES } from '../backbones/resnet.js';
import type { Backbone, BackboneInfo } from '../backbones/types.js';

/** Same input normalisation as the random ResNet, inside the graph. */
export const CORE_NORMALISATION = { mean: [0.5, 0.5, 0.5] as [number, number, number], std: [0.25, 0.25, 0.25] as [number, number, number] };

export interface CoreNetOptions {
  seed: number;
  batch: number;
  imageSize: number;
  /** InfoNCE temperature (0.1-0.2 in the paper's family of methods). */
  temperature: number;
  /** Loss = contrastive + restorativeWeight * restorative. */
  restorativeWeight: number;
  projectionDim?: number;
}

export const CORE_INPUTS = { view1: 'view1', view2: 'view2', corrupted: 'corrupted', original: 'original' } as const;
export const CORE_TERMS = { contrastive: 'contrastive_loss', restorative: 'restorative_loss' } as const;

function normalise(g: GraphBuilder, x: string): string {
  const { mean, std } = CORE_NORMALISATION;
  return g.op('Div', [g.op('Sub', [x, g.constFloat(mean, [1, 3, 1, 1], 'norm.mean')]), g.constFloat(std, [1, 3, 1, 1], 'norm.std')], {}, 'normalise');
}

/**
 * How the encoder's BatchNorms run: 'train' (batch statistics, running-stat outputs for the trainer), 'inference'
 * (running statistics), or 'measure' (batch statistics computed explicitly, each BN's mean and variance recorded
 * in `stats`: what recalibrate.ts uses to re-estimate the running statistics on the data the backbone will see).
 */
export type BnMode = 'train' | 'inference' | 'measure';

export interface BnStat {
  name: string;
  channels: number;
  mean: string;
  variance: string;
}

function bnLayer(net: Net, name: string, x: string, C: number, mode: BnMode, stats?: BnStat[]): string {
  if (mode !== 'measure') return batchNorm(net, name, x, C, mode === 'train');
  const g = net.g;
  const scale = net.param(`${name}.weight`, [C], new Float32Array(C).fill(1));
  const bias = net.param(`${name}.bias`, [C], new Float32Array(C));
  const mean = g.op('ReduceMean', [x], { axes: [0, 2, 3], keepdims: 1 });
  const centred = g.op('Sub', [x, mean]);
  const variance = g.op('ReduceMean', [g.op('Mul', [centred, centred])], { axes: [0, 2, 3], keepdims: 1 });
  stats?.push({ name, channels: C, mean, variance });
  const shape = g.constInt64([1, C, 1, 1]);
  const normed = g.op('Div', [centred, g.op('Sqrt', [g.op('Add', [variance, g.constFloat(1e-5)])])]);
  return g.op('Add', [g.op('Mul', [normed, g.op('Reshape', [scale, shape])]), g.op('Reshape', [bias, shape])]);
}

/** The encoder on normalised pixels; returns the three feature maps (layer1 @4, layer2 @8, layer3 @16). */
function encoder(net: Net, x: string, mode: BnMode, stats?: BnStat[]): string[] {
  const bn = (name: string, h: string, C: number) => bnLayer(net, name, h, C, mode, stats);
  const cbr = (name: string, h: string, cin: number, cout: number, stride: number) =>
    relu(net, bn(`${name}.bn`, conv2d(net, `${name}.conv`, h, cin, cout, { stride }), cout));
  let h = cbr('stem.1', x, 3, 32, 2);
  h = cbr('stem.2', h, 32, 64, 2);
  const block = (name: string, input: string, cin: number, cout: number, stride: number): string => {
    if (mode === 'train') return residualBlock(net, name, input, cin, cout, stride);
    // residualBlock written out (same parameter names and creation order) with this mode's BN.
    const a = relu(net, bn(`${name}.1.bn`, conv2d(net, `${name}.1.conv`, input, cin, cout, { stride }), cout));
    const b = bn(`${name}.bn2`, conv2d(net, `${name}.conv2`, a, cout, cout), cout);
    const skip = stride !== 1 || cin !== cout
      ? bn(`${name}.downsample.bn`, conv2d(net, `${name}.downsample.conv`, input, cin, cout, { kernel: 1, stride, pad: 0 }), cout)
      : input;
    return relu(net, net.g.op('Add', [b, skip]));
  };
  const l1 = block('layer1', h, 64, 64, 1);
  const l2 = block('layer2', l1, 64, 128, 2);
  const l3 = block('layer3', l2, 128, 256, 2);
  return [l1, l2, l3];
}

function sliceRows(g: GraphBuilder, x: string, from: number, to: number): string {
  return g.op('Slice', [x, g.constInt64([from], [1], 'rows.from'), g.constInt64([to], [1], 'rows.to'), g.constInt64([0], [1], 'rows.axis')]);
}

/** The forward pretraining graph: inputs view1, view2, corrupted, original [B,3,S,S] in [0,1]; output loss + terms. */
/** `params` lists the trainable weights: constants (masks, temperature) are float initializers too and must stay fixed. */
export function buildCorePretrainGraph(o: CoreNetOptions): { model: ModelProto; loss: string; terms: string[]; params: string[] } {
  const B = o.batch;
  const S = o.imageSize;
  const P = o.projectionDim ?? 128;
  const g = new GraphBuilder('core_pretrain');
  const net = new Net(g, o.seed);
  const dims = [B, 3, S, S];
  const v1 = g.input(CORE_INPUTS.view1, 'float32', dims);
  const v2 = g.input(CORE_INPUTS.view2, 'float32', dims);
  const cor = g.input(CORE_INPUTS.corrupted, 'float32', dims);
  const orig = g.input(CORE_INPUTS.original, 'float32', dims);
  const all = g.op('Concat', [v1, v2, cor], { axis: 0 });
  const [, , l3] = encoder(net, normalise(g, all), 'train');

  // Contrastive branch: projection head on pooled layer3 of the 2B views, cosine similarities / T, InfoNCE.
  const pooled = globalAvgPoolFlat(net, sliceRows(g, l3, 0, 2 * B));
  const proj = linear(net, 'proj.2', relu(net, linear(net, 'proj.1', pooled, 256, 256)), 256, P);
  const norm = g.op('Sqrt', [g.op('Add', [g.op('ReduceSumSquare', [proj], { axes: [1], keepdims: 1 }), g.constFloat(1e-8, [], 'eps')])]);
  const z = g.op('Div', [proj, norm]);
  const sim = g.op('Div', [g.op('MatMul', [z, g.op('Transpose', [z], { perm: [1, 0] })]), g.constFloat(o.temperature, [], 'temperature')]);
  // Self-similarity is excluded (a large negative on the diagonal); the positive of row i is row (i + B) mod 2B.
  const N = 2 * B;
  const diag = new Float32Array(N * N);
  const onehot = new Float32Array(N * N);
  for (let i = 0; i < N; i++) {
    diag[i * N + i] = -1e4;
    onehot[i * N + ((i + B) % N)] = 1;
  }
  const logp = g.op('LogSoftmax', [g.op('Add', [sim, g.initializer('self_mask', 'float32', [N, N], diag)])], { axis: 1 });
  const nll = g.op('Neg', [g.op('ReduceSum', [g.op('Mul', [logp, g.initializer('positives', 'float32', [N, N], onehot)])], { keepdims: 0 })]);
  g.node('Div', [nll, g.constFloat(N, [], 'rows')], {}, { outputs: [CORE_TERMS.contrastive], name: 'infonce' });

  // Restorative branch: a light decoder (no skips, so in-/out-painting must come from context) from layer3 @16.
  let d = sliceRows(g, l3, 2 * B, 3 * B);
  const widths = [256, 128, 64, 32, 16];
  for (let k = 0; k < 4; k++) {
    d = upsample2x(net, convBnRelu(net, `dec.${k}`, d, widths[k], widths[k + 1]));
  }
  const restored = g.op('Sigmoid', [conv2d(net, 'dec.out', d, 16, 3, { bias: true })]);
  const err = g.op('Sub', [restored, orig]);
  g.node('ReduceMean', [g.op('Mul', [err, err])], { keepdims: 0 }, { outputs: [CORE_TERMS.restorative], name: 'mse' });

  const loss = g.op('Add', [CORE_TERMS.contrastive, g.op('Mul', [CORE_TERMS.restorative, g.constFloat(o.restorativeWeight, [], 'alpha')])], {}, 'loss');
  g.output(loss, 'float32', []);
  g.output(CORE_TERMS.contrastive, 'float32', []);
  g.output(CORE_TERMS.restorative, 'float32', []);
  return { model: g.build({ producer: 'defect-studio' }), loss, terms: [CORE_TERMS.contrastive, CORE_TERMS.restorative], params: net.params };
}

type Weights = Map<string, { dims: number[]; data: TypedArray }>;

/** `model` with every initializer found in `weights` replaced by it (the rest keep their seeded initial values). */
function withWeights(model: ModelProto, weights: Weights): ModelProto {
  const graph = model.graph!;
  const initializer = (graph.initializer ?? []).map((t) => {
    const w = weights.get(t.name ?? '');
    return w ? arrayToTensor(t.name ?? '', 'float32', w.dims, w.data) : t;
  });
  return onnx.ModelProto.create({ ...model, graph: onnx.GraphProto.create({ ...graph, initializer }) });
}

/**
 * The backbone graph with weights taken by name from `weights` (trainer state or checkpoint tensors; running
 * statistics included). Parameters absent from `weights` keep their seeded initial values.
 */
export function buildCoreBackbone(weights: Weights, info: Omit<BackboneInfo, 'features' | 'normalisation'>, seed = 0): Backbone {
  const g = new GraphBuilder('core_backbone');
  const net = new Net(g, seed);
  const image = g.input('image', 'float32', ['N', 3, 'H', 'W']);
  const outs = encoder(net, normalise(g, image), 'inference');
  RESNET_FEATURES.forEach((f, k) => {
    g.node('Identity', [outs[k]], {}, { outputs: [f.name], name: `out_${f.name}` });
    g.output(f.name, 'float32', ['N', f.channels, `H${f.stride}`, `W${f.stride}`]);
  });
  return { ...info, features: RESNET_FEATURES, normalisation: CORE_NORMALISATION, model: withWeights(g.build({ producer: 'defect-studio' }), weights) };
}

/**
 * The encoder with batch-statistics BN and, as outputs, every BN's batch mean and variance ([C] each, named
 * `<bn>.batch_mean` / `<bn>.batch_var`): one run over images of the target distribution measures what the
 * running statistics should be (recalibrate.ts). The layer3 map is an output too so the whole encoder runs.
 */
export function buildCoreStatsGraph(weights: Weights, seed = 0): { model: ModelProto; stats: BnStat[] } {
  const g = new GraphBuilder('core_bn_stats');
  const net = new Net(g, seed);
  const image = g.input('image', 'float32', ['N', 3, 'H', 'W']);
  const stats: BnStat[] = [];
  encoder(net, normalise(g, image), 'measure', stats);
  const flat = stats.map((s) => {
    const mean = `${s.name}.batch_mean`;
    const variance = `${s.name}.batch_var`;
    g.node('Reshape', [s.mean, g.constInt64([s.channels])], {}, { outputs: [mean] });
    g.node('Reshape', [s.variance, g.constInt64([s.channels])], {}, { outputs: [variance] });
    g.output(mean, 'float32', [s.channels]);
    g.output(variance, 'float32', [s.channels]);
    return { ...s, mean, variance };
  });
  return { model: withWeights(g.build({ producer: 'defect-studio' }), weights), stats: flat };
}
