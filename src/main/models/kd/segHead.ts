/**
 * DeSTSeg's segmentation network (Zhang et al., CVPR 2023) on top of KD's trained teacher-student pair: stage 2 of
 * training. The pair's per-position cosine says *how much* teacher and student disagree but not *how*; the head sees
 * the disagreement per channel and learns, from synthetic defects with pixel-exact masks (../synthAnomaly.ts), which
 * patterns of it are defects and which are texture the student merely reproduces badly.
 *
 *   per level: T̂ ⊙ Ŝ (channel-L2-normalised teacher and student features, element-wise product; its channel sum is
 *              the cosine) -> bilinear resize to the finest level's grid -> concat over levels
 *   head:      3x3 conv-BN-ReLU -> 3x3 conv-BN-ReLU -> 1x1 conv to one logit per cell
 *   loss:      focalLoss (γ 4, DeSTSeg's) + probabilityL1Loss against the mask pooled to the head's grid
 *
 * Teacher and student are frozen: their features come from an inference session per batch and feed a head-only
 * training graph, so the backward pass never touches the backbone (DeSTSeg trains the head the same way, with the
 * student in eval mode). DeSTSeg's ASPP and residual stage are left out: the head runs at stride 8 and must stay
 * cheap next to the teacher.
 */
import { batchNorm, conv2d, Net } from '../../engine/layers/index.js';
import { focalLoss, probabilityL1Loss } from '../../engine/layers/segLoss.js';
import { GraphBuilder } from '../../engine/onnx/graph.js';
import { cosineSchedule, type LoopResult } from '../../engine/runtime/loop.js';
import type { TypedArray } from '../../engine/onnx/proto.js';
import type { FeatureSpec } from '../backbones/types.js';
import { trainForwardWithAdam, type MethodLoopRequest } from '../methodLoop.js';
import { openSession, ort } from '../session.js';

const EPS = 1e-6;
/** DeSTSeg's focal exponent (its train.py default). */
const FOCAL_GAMMA = 4;

/** x / ‖x‖ along channels. */
function l2Normalise(g: GraphBuilder, x: string): string {
  const norm = g.op('Sqrt', [g.op('Add', [g.op('ReduceSum', [g.op('Mul', [x, x]), g.constInt64([1])], { keepdims: 1 }), g.constFloat(EPS)])]);
  return g.op('Div', [x, norm]);
}

/** Channels of the head's input: every level's channels, twice with the teacher's own features (`withTeacher`). */
export function headInputChannels(levels: FeatureSpec[], withTeacher = false): number {
  return levels.reduce((s, l) => s + l.channels, 0) * (withTeacher ? 2 : 1);
}

/**
 * The head's input [N, Σ C_l, h_0, w_0] from teacher and student level features (finest first, strides powers of two
 * of the finest; inputs are multiples of the deepest stride, so each resize is an exact integer factor).
 * `withTeacher` adds each level's normalised teacher features T̂ after T̂ ⊙ Ŝ: what the part looks like, not only
 * where the pair disagrees (PatchCore separates defects from the teacher's features alone).
 */
export function discrepancyFeatures(g: GraphBuilder, levels: FeatureSpec[], teacher: string[], student: string[], withTeacher = false): string {
  const parts = levels.map((l, i) => {
    const t = l2Normalise(g, teacher[i]);
    const disagreement = g.op('Mul', [t, l2Normalise(g, student[i])], {}, `discrepancy_${i}`);
    const product = withTeacher ? g.op('Concat', [disagreement, t], { axis: 1 }) : disagreement;
    const factor = l.stride / levels[0].stride;
    if (factor === 1) return product;
    return g.op('Resize', [product, '', g.constFloat([1, 1, factor, factor])], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }, `discrepancy_up_${i}`);
  });
  return parts.length === 1 ? parts[0] : g.op('Concat', parts, { axis: 1 });
}

/** The head on `x` [N,inC,h,w] -> logits [N,1,h,w]; parameters named `head.*` (the export takes them by name). */
export function buildSegHead(net: Net, x: string, inC: number, width: number, training: boolean): string {
  const g = net.g;
  let h = g.op('Relu', [batchNorm(net, 'head.conv0.bn', conv2d(net, 'head.conv0.conv', x, inC, width), width, training)]);
  h = g.op('Relu', [batchNorm(net, 'head.conv1.bn', conv2d(net, 'head.conv1.conv', h, width, width), width, training)]);
  return conv2d(net, 'head.logit', h, width, 1, { kernel: 1, pad: 0, bias: true });
}

/** Head-only training graph: `head_input` [B,C,h,w] + `mask` [B,1,h,w] -> loss = focal + L1 (both reported). */
export function buildHeadTrainingForward(inC: number, width: number, batch: number, h: number, w: number, seed: number) {
  const g = new GraphBuilder('kd_seg_head_train');
  const x = g.input('head_input', 'float32', [batch, inC, h, w]);
  const mask = g.input('mask', 'float32', [batch, 1, h, w]);
  const net = new Net(g, seed);
  const logits = buildSegHead(net, x, inC, width, true);
  const focal = g.node('Identity', [focalLoss(g, logits, mask, { gamma: FOCAL_GAMMA })], {}, { outputs: ['loss.focal'] })[0];
  const l1 = g.node('Identity', [probabilityL1Loss(g, logits, mask)], {}, { outputs: ['loss.l1'] })[0];
  g.node('Add', [focal, l1], {}, { outputs: ['loss'] });
  g.output('loss', 'float32', []);
  const terms = [focal, l1];
  for (const t of terms) g.output(t, 'float32', []);
  return { model: g.build(), loss: 'loss', terms, params: net.params };
}

/**
 * A crop mask [B,c,c] (1 = changed pixel) -> the head's grid [B,1,c/s,c/s]. 'any': a cell is a defect when any of
 * its pixels is (thin cracks, 1-3 px, stay visible at stride 8); 'half': when at least half are (DeSTSeg's bilinear
 * downsampling + 0.5 cut, which drops cracks narrower than half a cell).
 */
export function poolMask(mask: Uint8Array, batch: number, crop: number, stride: number, rule: 'any' | 'half'): Float32Array {
  const side = crop / stride;
  const out = new Float32Array(batch * side * side);
  for (let b = 0; b < batch; b++) {
    for (let cy = 0; cy < side; cy++) {
      for (let cx = 0; cx < side; cx++) {
        let n = 0;
        for (let y = cy * stride; y < (cy + 1) * stride; y++) {
          const row = b * crop * crop + y * crop;
          for (let x = cx * stride; x < (cx + 1) * stride; x++) n += mask[row + x];
        }
        out[(b * side + cy) * side + cx] = rule === 'any' ? (n > 0 ? 1 : 0) : n * 2 >= stride * stride ? 1 : 0;
      }
    }
  }
  return out;
}

export interface SegHeadTrainOptions {
  /** Workdir, resume, cancel, progress: the head checkpoints in its own workDir (the caller's + '/head'). */
  req: MethodLoopRequest;
  /** unit [B,3,c,c] -> head_input [B,C,c/s,c/s] with the trained student: the frozen part, run per batch. */
  featureModel: Uint8Array;
  /** The crops of a step with synthetic anomalies (`noisy`, `mask`). */
  crops(step: number): { noisy?: Float32Array; unit: Float32Array; mask?: Uint8Array };
  batch: number;
  crop: number;
  /** The finest level's stride: the head's grid. */
  stride: number;
  inC: number;
  width: number;
  steps: number;
  stepsPerEpoch: number;
  lr: number;
  maskRule: 'any' | 'half';
  seed: number;
}

export interface SegHeadTrained {
  weights: Map<string, { dims: number[]; data: TypedArray }>;
  loop: LoopResult;
}

/** Stage 2: Adam on the head only, through runMethodLoop (progress, checkpoint per epoch, cancel, resume). */
export async function trainSegHead(o: SegHeadTrainOptions): Promise<SegHeadTrained> {
  const side = o.crop / o.stride;
  const { session } = await openSession(o.featureModel, 'KD head features');
  try {
    const makeBatch = async (step: number): Promise<Record<string, ort.Tensor>> => {
      const c = o.crops(step);
      const out = await session.run({ unit: new ort.Tensor('float32', c.noisy ?? c.unit, [o.batch, 3, o.crop, o.crop]) });
      const mask = c.mask ? poolMask(c.mask, o.batch, o.crop, o.stride, o.maskRule) : new Float32Array(o.batch * side * side);
      return { head_input: out.head_input, mask: new ort.Tensor('float32', mask, [o.batch, 1, side, side]) };
    };
    return await trainForwardWithAdam('KD segmentation head', o.req, buildHeadTrainingForward(o.inC, o.width, o.batch, side, side, o.seed), {
      totalSteps: o.steps,
      stepsPerEpoch: o.stepsPerEpoch,
      batchImages: o.batch,
      makeBatch,
      lr: cosineSchedule(o.lr, o.steps, { warmup: Math.min(20, Math.floor(o.steps / 10)), floor: 0.05 }),
      reportEvery: Math.max(1, Math.min(10, o.stepsPerEpoch)),
    });
  } finally {
    await session.release();
  }
}
