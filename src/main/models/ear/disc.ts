/**
 * EAR's discriminative head (DRAEM's discriminative subnetwork, Zavrtanik et al., ICCV 2021, made small): it reads
 * the picture x, its recovery x̂ and |x − x̂| and says where x holds a defect. The recovery error alone also
 * flags what the U-Net merely reproduces badly (tile edges, strong texture); a head trained on synthetic defects
 * learns which differences look like defects. DRAEM's head is a full U-Net at the image's resolution; this one runs
 * at stride 2^levels of the U-Net picture (stride 8 of the model input at scale 2, block_5's grid) to keep the
 * model the fastest method: per level a stride-2 conv and a conv (3×3, BN, ReLU), then a 1×1 conv to a logit.
 *
 * Stage 2 of training: the recovery U-Net is frozen; each step crops training pictures, pastes synthetic defects
 * into some (crops.ts corruptBatch), runs the exported recovery (inference skips, reflect padding) on them in an
 * inference session, and trains only the head, with focal loss + L1 of the probabilities against the pasted mask
 * (segLoss.ts; DRAEM uses the focal loss). Through runMethodLoop: progress, a checkpoint per epoch in
 * <workDir>/<discDirName>/checkpoint.onnx, cancel, resume.
 */
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { Net, batchNorm, conv2d } from '../../engine/layers/index.js';
import { focalLoss, probabilityL1Loss } from '../../engine/layers/segLoss.js';
import { GraphBuilder } from '../../engine/onnx/graph.js';
import type { ModelProto } from '../../engine/onnx/proto.js';
import { cosineSchedule, type LoopResult } from '../../engine/runtime/loop.js';
import { Rng } from '../../engine/rng.js';
import { trainForwardWithAdam, type MethodLoopRequest } from '../methodLoop.js';
import { HEAD_DIR_PREFIX } from '../workDir.js';
import { corruptBatch, cropBatch, type Picture } from './crops.js';
import type { WeightMap } from './unet.js';

/** Where the head's parameters live (distinct from the U-Net's, whose 1×1 output conv is called 'head'). */
export const DISC_PREFIX = 'disc';

export interface DiscOptions {
  /** Channels per stride-2 level. */
  channels: number[];
  /** Probability that a training crop gets a synthetic defect (DRAEM: 0.5); the rest teach "nothing here". */
  anomalyProbability: number;
  steps: number;
  lr: number;
  batch: number;
  /** Channels of the backbone level the head also reads (0 = pixels only); the crop recovery then returns
   *  'features' and 'recovered_features'. */
  featureChannels: number;
  /** Where the crops are excised (EarParams.headMask); here only to name the checkpoint folder. */
  mask: string;
  /** The frozen recovery's settings that the U-Net's own checkpoint does not fix (inference skips, padding): the
   *  head trains on the crops recovered with them; here only to name the checkpoint folder. */
  recovery: string;
}

/**
 * The head's checkpoint folder inside the work dir, named by its training settings (as KD's headDirName): a
 * finished U-Net resumed with other head settings, or other inference skips (the head learns the recovery they
 * give), trains a new head instead of continuing another one's.
 */
export function discDirName(o: DiscOptions): string {
  return `${HEAD_DIR_PREFIX}c${o.channels.join('_')}-s${o.steps}-lr${o.lr}-a${o.anomalyProbability}-f${o.featureChannels}-${o.mask}-${o.recovery}`;
}

/** The stride of the head's logits relative to its input. */
export const discStride = (channels: readonly number[]) => 2 ** channels.length;

/** The frozen backbone's features of x and x̂ ([N, C, h, w], any grid: resized to the head's), an optional input. */
export interface HeadFeatures {
  x: string;
  recovered: string;
  channels: number;
}

/** Width of the head's feature branch. */
const FEATURE_BRANCH = 32;

/**
 * Logits [N, 1, H/stride, W/stride] of "defect here", from x and x̂ ([N, 1, H, W], H and W multiples of the
 * stride) and, when given, the backbone features of both: f(x), f(x̂) and (f(x) − f(x̂))² through a 1×1 conv, joined
 * to the pixel branch by a 3×3 conv (pretrained features tell texture from defect better than a few small convs).
 */
export function discHead(net: Net, x: string, recovered: string, channels: readonly number[], training: boolean, feats?: HeadFeatures): string {
  const g = net.g;
  const diff = g.op('Abs', [g.op('Sub', [x, recovered])], {}, `${DISC_PREFIX}.abs_diff`);
  // |x − x̂| given explicitly: a head this small would spend its first layer learning the subtraction.
  let h = g.op('Concat', [x, recovered, diff], { axis: 1 }, `${DISC_PREFIX}.input`);
  let c = 3;
  channels.forEach((outC, i) => {
    [2, 1].forEach((stride, j) => {
      const conv = conv2d(net, `${DISC_PREFIX}.${i}.conv${j + 1}`, h, c, outC, { stride });
      h = g.op('Relu', [batchNorm(net, `${DISC_PREFIX}.${i}.bn${j + 1}`, conv, outC, training)]);
      c = outC;
    });
  });
  if (feats) {
    const grid = g.op('Shape', [h]);
    const onGrid = (v: string) => g.op('Resize', [v, '', '', g.op('Concat', [g.op('Slice', [g.op('Shape', [v]), g.constInt64([0]), g.constInt64([2])]), g.op('Slice', [grid, g.constInt64([2]), g.constInt64([4])])], { axis: 0 })], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
    const d = g.op('Sub', [feats.x, feats.recovered]);
    const f = g.op('Concat', [onGrid(feats.x), onGrid(feats.recovered), onGrid(g.op('Mul', [d, d]))], { axis: 1 }, `${DISC_PREFIX}.feature_input`);
    const fb = g.op('Relu', [batchNorm(net, `${DISC_PREFIX}.feat.bn`, conv2d(net, `${DISC_PREFIX}.feat.conv`, f, 3 * feats.channels, FEATURE_BRANCH, { kernel: 1 }), FEATURE_BRANCH, training)]);
    const joined = g.op('Concat', [h, fb], { axis: 1 });
    h = g.op('Relu', [batchNorm(net, `${DISC_PREFIX}.join.bn`, conv2d(net, `${DISC_PREFIX}.join.conv`, joined, c + FEATURE_BRANCH, c), c, training)]);
  }
  return conv2d(net, `${DISC_PREFIX}.logit`, h, c, 1, { kernel: 1, bias: true });
}

/** The head's training graph: (picture, recovered, anomaly mask) -> logits, upsampled to the crop -> focal + L1. */
export function buildDiscTrainingForward(o: Pick<DiscOptions, 'channels' | 'batch' | 'featureChannels'>, seed: number): { model: ModelProto; params: string[]; loss: string; terms: string[] } {
  const g = new GraphBuilder('ear_disc_train');
  const picture = g.input('picture', 'float32', [o.batch, 1, 'h', 'w']);
  const recovered = g.input('recovered', 'float32', [o.batch, 1, 'h', 'w']);
  const anomaly = g.input('anomaly', 'float32', [o.batch, 1, 'h', 'w']);
  const c = o.featureChannels;
  const feats = c ? { x: g.input('features', 'float32', [o.batch, c, 'fh', 'fw']), recovered: g.input('recovered_features', 'float32', [o.batch, c, 'fh', 'fw']), channels: c } : undefined;
  const net = new Net(g, seed + 1);
  const s = discStride(o.channels);
  const logits = g.op('Resize', [discHead(net, picture, recovered, o.channels, true, feats), '', g.constFloat([1, 1, s, s])], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
  const [focal] = g.node('Identity', [focalLoss(g, logits, anomaly)], {}, { outputs: ['focal'] });
  const [l1] = g.node('Identity', [probabilityL1Loss(g, logits, anomaly)], {}, { outputs: ['prob_l1'] });
  const [loss] = g.node('Add', [focal, l1], {}, { outputs: ['loss'] });
  g.output(loss, 'float32', []);
  for (const t of [focal, l1]) g.output(t, 'float32', []);
  return { model: g.build(), params: net.params, loss, terms: [focal, l1] };
}

/** The frozen recovery of a batch of crops: (picture, mask) [batch, 1, crop, crop] -> { recovered: x̂ of the same
 *  shape, and with featureChannels the backbone features 'features' of x and 'recovered_features' of x̂ }. */
export type RecoverCrops = (picture: ort.Tensor, mask: ort.Tensor) => Promise<Record<string, ort.Tensor>>;

/**
 * Step `step`'s batch (a function of seed and step only, so a resumed run sees the same batches): crops with
 * their attention masks (no random boxes: inference has none), defects pasted into some, and their recovery.
 */
export function makeDiscBatchFor(pictures: Picture[], o: DiscOptions, crop: number, align: number, seed: number, recover: RecoverCrops): (step: number) => Promise<Record<string, ort.Tensor>> {
  return async (step) => {
    const rng = new Rng(seed * 7_919 + step * 104_729 + 3);
    const { target, mask } = cropBatch(pictures, o.batch, crop, align, 0, rng);
    const { corrupted, anomaly } = corruptBatch(target, o.batch, crop, o.anomalyProbability, rng);
    const dims = [o.batch, 1, crop, crop];
    const picture = new ort.Tensor('float32', corrupted, dims);
    const recovered = await recover(picture, new ort.Tensor('float32', mask, dims));
    return { picture, ...recovered, anomaly: new ort.Tensor('float32', anomaly, dims) };
  };
}

/** Stage 2: trains the head on the frozen recovery; returns its weights (parameters and BN statistics) and the loop. */
export async function trainDisc(req: MethodLoopRequest, pictures: Picture[], o: DiscOptions, crop: number, align: number, seed: number, recover: RecoverCrops): Promise<{ weights: WeightMap; loop: LoopResult }> {
  return trainForwardWithAdam('EAR head', { ...req, workDir: req.workDir ? path.join(req.workDir, discDirName(o)) : undefined }, buildDiscTrainingForward(o, seed), {
    totalSteps: o.steps,
    stepsPerEpoch: Math.max(1, Math.ceil(pictures.length / o.batch)),
    batchImages: o.batch,
    makeBatch: makeDiscBatchFor(pictures, o, crop, align, seed, recover),
    lr: cosineSchedule(o.lr, o.steps, { warmup: Math.min(50, Math.floor(o.steps / 10)), floor: 0.05 }),
    reportEvery: 10,
  });
}
