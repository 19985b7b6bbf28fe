/**
 * buildTrainingModel: forward model -> one model whose single run does forward + backward + optimizer update.
 *
 * Trainable parameters (float initializers that receive a gradient, minus `frozen`) and their optimizer state
 * become graph inputs; their updated values are outputs. BatchNormalization running statistics in training
 * mode are state too (input = the running tensor, output = the node's running-stat output). Frozen parameters
 * and everything else stay initializers. `lr` and `step` are scalar inputs.
 */
import { StudioError } from '../../../shared/errors.js';
import { buildBackwardDetailed } from '../autodiff/backward.js';
import { readAttr } from '../autodiff/kit.js';
import { normalizeForTraining } from '../autodiff/normalize.js';
import type { ShapeMap } from '../autodiff/shapes.js';
import { GraphBuilder, valueInfo } from '../onnx/graph.js';
import { onnx, tensorToArray, type DType, type ModelProto, type TypedArray } from '../onnx/proto.js';
import { emitUpdate, legacySlot, stateSlots, type OptimizerConfig } from './optimizers.js';

export interface TrainingOptions {
  loss: string;
  optimizer: OptimizerConfig;
  shapes: ShapeMap;
  /** Parameters to train (default: every float initializer). */
  params?: string[];
  /** Parameters to keep fixed (stay initializers). */
  frozen?: string[];
  /** Clip gradients by their global L2 norm (torch.nn.utils.clip_grad_norm_ semantics, eps 1e-6). */
  clipGradNorm?: number;
  /** Forward values to fetch every step besides the loss (e.g. the terms of a combined loss), scalars or small. */
  reportOutputs?: string[];
}

export interface StateSlot {
  input: string;
  output: string;
  dtype: DType;
  dims: number[];
  /** Initial value: the initializer's data for parameters and running stats, zeros for optimizer slots. */
  initial: TypedArray;
  kind: 'param' | 'optimizer' | 'running';
  /** An older checkpoint name of this slot and the factor its values need (optimizers.ts legacySlot). */
  legacy?: { input: string; scale: number };
}

export interface TrainingModel {
  model: ModelProto;
  lossName: string;
  lrInput: string;
  stepInput: string;
  state: StateSlot[];
  params: string[];
  /** The forward values fetched every step besides the loss (TrainingOptions.reportOutputs). */
  reportOutputs: string[];
}

/** Renames a value produced by one of gb's nodes (and its uses) so it can be a graph output. */
function renameOutput(gb: GraphBuilder, from: string, to: string): string {
  const name = gb.reserve(to);
  for (const n of gb.nodes) {
    n.output = n.output!.map((o) => (o === from ? name : o));
    n.input = n.input!.map((i) => (i === from ? name : i));
  }
  return name;
}

export const LR_INPUT = 'train.lr';
export const STEP_INPUT = 'train.step';

export function buildTrainingModel(source: ModelProto, opts: TrainingOptions): TrainingModel {
  const model = normalizeForTraining(source);
  const graph = model.graph!;
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const frozen = new Set(opts.frozen ?? []);
  const floatInit = (n: string): boolean => {
    const t = inits.get(n);
    return !!t && (t.dataType === 1 || t.dataType === 11);
  };
  // Running statistics of training-mode BatchNorm: never trained, always carried as state.
  const running: { input: string; output: string; variance?: { x: string; momentum: number } }[] = [];
  const runningInputs = new Set<string>();
  for (const n of graph.node ?? []) {
    if (n.opType !== 'BatchNormalization' || readAttr(n, 'training_mode') !== 1) continue;
    [3, 4].forEach((i) => {
      const inp = n.input?.[i];
      const out = n.output?.[i - 2];
      if (inp && out && inits.has(inp) && !runningInputs.has(inp)) {
        const momentum = Number(readAttr(n, 'momentum') ?? 0.9);
        running.push({ input: inp, output: out, ...(i === 4 ? { variance: { x: n.input![0], momentum } } : {}) });
        runningInputs.add(inp);
      }
    });
  }
  const candidates = (opts.params ?? [...inits.keys()].filter(floatInit)).filter((p) => !frozen.has(p) && !runningInputs.has(p));
  for (const p of candidates) {
    if (!inits.has(p)) throw new StudioError('BAD_REQUEST', `Cannot train "${p}": the model has no initializer with that name.`);
  }
  const back = buildBackwardDetailed(model, opts.loss, candidates, { shapes: opts.shapes, keepOutputs: [...running.map((r) => r.output), ...(opts.reportOutputs ?? [])] });
  const params = candidates.filter((p) => back.flowing.has(p));
  const bg = back.model.graph!;

  const gb = new GraphBuilder(bg.name ?? 'train', Number(back.model.opsetImport?.find((o) => !o.domain)?.version ?? 17));
  for (const n of bg.node ?? []) for (const v of [...(n.input ?? []), ...(n.output ?? []), n.name ?? '']) if (v) gb.reserve(v);
  for (const t of bg.initializer ?? []) gb.reserve(t.name ?? '');
  for (const i of bg.input ?? []) gb.reserve(i.name ?? '');
  for (const o of bg.output ?? []) gb.reserve(o.name ?? '');
  const lr = gb.input(LR_INPUT, 'float32', []);
  const t = gb.input(STEP_INPUT, 'float32', []);
  const consts = new Map<number, string>();
  const f = (v: number): string => {
    let c = consts.get(v);
    if (!c) consts.set(v, (c = gb.constFloat(v, [], 'opt.c')));
    return c;
  };

  let grads = params.map((p) => back.gradOutputs.get(p)!);
  if (opts.clipGradNorm !== undefined) {
    const sq = grads.map((g) => gb.op('ReduceSumSquare', [g], { keepdims: 0 }));
    const norm = gb.op('Sqrt', [sq.length === 1 ? sq[0] : gb.op('Sum', sq)]);
    const factor = gb.op('Min', [f(1), gb.op('Div', [f(opts.clipGradNorm), gb.op('Add', [norm, f(1e-6)])])]);
    grads = grads.map((g) => gb.op('Mul', [g, factor]));
  }

  const state: StateSlot[] = [];
  const slotNames = stateSlots(opts.optimizer);
  const ctx = { g: gb, lr, t, f }; // one context: the optimizer's step-size scalars are built once per graph
  params.forEach((p, i) => {
    const { dtype, dims, data } = tensorToArray(inits.get(p)!);
    if (dtype !== 'float32') throw new StudioError('UNSUPPORTED', `Parameter "${p}" is ${dtype}; training supports float32 parameters.`);
    const slotInputs: Record<string, string> = {};
    for (const s of slotNames) slotInputs[s] = gb.input(`opt.${s}.${p}`, dtype, dims);
    const upd = emitUpdate(opts.optimizer, ctx, p, grads[i], slotInputs);
    // Name the producing nodes' outputs directly (an Identity per state tensor would copy every weight again).
    const out = renameOutput(gb, upd.w, `next.${p}`);
    state.push({ input: p, output: out, dtype, dims, initial: data, kind: 'param' });
    for (const s of slotNames) {
      const o = renameOutput(gb, upd.state[s], `next.opt.${s}.${p}`);
      const old = legacySlot(opts.optimizer, s);
      const legacy = old ? { input: `opt.${old.slot}.${p}`, scale: old.scale } : undefined;
      state.push({ input: slotInputs[s], output: o, dtype, dims, initial: new Float32Array(data.length), kind: 'optimizer', legacy });
    }
  });
  for (const r of running) {
    const { dtype, dims, data } = tensorToArray(inits.get(r.input)!);
    const output = r.variance ? unbiasedRunningVar(gb, r.input, r.output, r.variance, f) : r.output;
    state.push({ input: r.input, output, dtype, dims, initial: data, kind: 'running' });
  }

  const stateInputs = new Set(state.filter((s) => s.kind !== 'optimizer').map((s) => s.input));
  // Shapes of the forward Convs' inputs and outputs, so a runtime pass can pick Convs for ORT's NCHWc kernels
  // (runtime/nchwc.ts) without a shape probe of the whole training graph.
  const convShapes = new Map<string, ReturnType<typeof valueInfo>>();
  const graphIo = new Set([...(bg.input ?? []), ...(bg.output ?? [])].map((v) => v.name ?? ''));
  for (const n of bg.node ?? []) {
    if (n.opType !== 'Conv' || (n.domain ?? '') !== '') continue;
    for (const v of [n.input?.[0], n.output?.[0]]) {
      const sh = v ? opts.shapes.get(v) : undefined;
      if (v && sh && !convShapes.has(v) && !graphIo.has(v)) convShapes.set(v, valueInfo(v, sh.dtype, sh.dims));
    }
  }
  const lossInfo = bg.output![0];
  const model2 = onnx.ModelProto.create({
    ...back.model,
    graph: onnx.GraphProto.create({
      name: bg.name,
      node: [...(bg.node ?? []), ...gb.nodes],
      valueInfo: [...(bg.valueInfo ?? []), ...convShapes.values()],
      initializer: [...(bg.initializer ?? []).filter((x) => !stateInputs.has(x.name ?? '')), ...gb.initializers.values()],
      input: [
        ...(bg.input ?? []).filter((x) => !stateInputs.has(x.name ?? '')),
        ...state.filter((s) => s.kind !== 'optimizer').map((s) => valueInfo(s.input, s.dtype, s.dims)),
        ...gb.inputs,
      ],
      // The raw BN running-variance outputs stay graph outputs (never fetched): ORT fuses a training-mode BN whose
      // running outputs are not graph outputs into inference BN, silently using running statistics.
      output: [
        lossInfo,
        ...(opts.reportOutputs ?? []).map((name) => bg.output!.find((o) => o.name === name) ?? valueInfo(name, 'float32')),
        ...state.map((s) => valueInfo(s.output, s.dtype, s.dims)),
        ...running.filter((r) => r.variance).map((r) => valueInfo(r.output, 'float32')),
      ],
    }),
  });
  return { model: model2, lossName: lossInfo.name ?? opts.loss, lrInput: lr, stepInput: t, state, params, reportOutputs: opts.reportOutputs ?? [] };
}

/**
 * ORT updates BatchNorm's running variance with the biased batch variance; PyTorch (whose exports and
 * checkpoints users bring) uses the unbiased one. Rewrite the update so evaluation after training matches:
 * out = m*rv + (1-m)*biased, so m*rv + (out - m*rv) * n/(n-1) = m*rv + (1-m)*unbiased, with n = N*H*W.
 */
function unbiasedRunningVar(
  gb: GraphBuilder,
  runningIn: string,
  runningOut: string,
  bn: { x: string; momentum: number },
  f: (v: number) => string,
): string {
  const size = gb.op('Cast', [gb.op('Size', [bn.x])], { to: 1 });
  const channels = gb.op('Cast', [gb.op('Gather', [gb.op('Shape', [bn.x]), gb.constInt64(1, [], 'bn.axis')], { axis: 0 })], { to: 1 });
  const n = gb.op('Div', [size, channels]);
  const correction = gb.op('Div', [n, gb.op('Max', [gb.op('Sub', [n, f(1)]), f(1)])]);
  const kept = gb.op('Mul', [runningIn, f(bn.momentum)]);
  const update = gb.op('Mul', [gb.op('Sub', [runningOut, kept]), correction]);
  return renameOutput(gb, gb.op('Add', [kept, update]), `next.${runningIn}`);
}
