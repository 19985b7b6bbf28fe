/**
 * checkVjp: compares a rule's analytic gradient with central finite differences.
 *
 * The op runs on seeded random inputs inside a model whose loss is sum(y * r) for a fixed random r, so the
 * check covers every element of the vector-Jacobian product. It runs in float64 when ORT's CPU provider has
 * float64 kernels for the op and for its backward graph, else in float32 (reported in the result).
 * Error metric: max |numeric - analytic| / max(1, max |analytic|).
 * float64: step 1e-5, tolerance 1e-6 (truncation ~1e-10, rounding ~1e-11).
 * float32: step 1e-2, tolerance 1e-2: rounding of a float32 loss of magnitude ~10 is ~1e-6, divided by 2h
 * gives ~5e-5 per element, and third-derivative truncation h^2/6 ~ 2e-5; 1e-2 leaves room for sums of many terms.
 */
import * as ort from 'onnxruntime-node';
import { GraphBuilder, type Attrs } from '../onnx/graph.js';
import { serializeModel, type DType, type ModelProto } from '../onnx/proto.js';
import { Rng } from '../rng.js';
import { buildBackward } from './backward.js';
import { probeShapes } from './shapes.js';

export type InputSpec =
  | readonly number[] // float input of this shape, random in the domain, differentiated
  | { shape: readonly number[]; fixed: true; domain?: [number, number] } // float input, not differentiated
  | { int64: readonly number[]; dims: readonly number[] } // constant int64 input (axes, pads, labels)
  | { float: readonly number[]; dims: readonly number[] } // constant float input (scales)
  | { bool: readonly number[]; dims: readonly number[] } // constant bool input (Where condition)
  | null; // absent optional input

export interface CheckOptions {
  domain?: [number, number];
  /** Resample inputs closer than this to any of `avoid` (kinks of Relu, Abs, Clip). */
  avoid?: number[];
  avoidMargin?: number;
  tol?: number;
  seed?: number;
  opset?: number;
  /** Outputs of the node; the loss uses those listed in `lossOutputs` (default [0]). */
  outputs?: number;
  lossOutputs?: number[];
  /** Force float32 even where float64 would run (for ops whose backward lacks float64 kernels). */
  float32?: boolean;
  /** Differentiate only these input indices (default: every array-shaped input). */
  maxElements?: number;
}

export interface CheckResult {
  dtype: DType;
  maxError: number;
  tol: number;
  seed: number;
  worst: string;
}

function makeTensor(dtype: DType, data: ArrayLike<number>, dims: readonly number[]): ort.Tensor {
  return dtype === 'float64'
    ? new ort.Tensor('float64', Float64Array.from(data), [...dims])
    : new ort.Tensor('float32', Float32Array.from(data), [...dims]);
}

function isShape(s: InputSpec): s is readonly number[] {
  return Array.isArray(s);
}

async function session(model: ModelProto): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(serializeModel(model), { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
}

async function attempt(op: string, inputs: readonly InputSpec[], attrs: Attrs, opts: CheckOptions, dtype: DType): Promise<CheckResult> {
  const seed = opts.seed ?? 1;
  const rng = new Rng(seed);
  const [lo, hi] = opts.domain ?? [-2, 2];
  const margin = opts.avoidMargin ?? 0.05;
  const sample = (n: number, d: [number, number]): number[] =>
    Array.from({ length: n }, () => {
      for (;;) {
        const v = rng.uniform(d[0], d[1]);
        if (!(opts.avoid ?? []).some((a) => Math.abs(v - a) < margin)) return v;
      }
    });

  const g = new GraphBuilder('check', opts.opset ?? 17);
  const names: string[] = [];
  const feeds: Record<string, ort.Tensor> = {};
  const wrt: string[] = [];
  inputs.forEach((spec, i) => {
    if (spec === null) return void names.push('');
    if (isShape(spec) || 'fixed' in spec) {
      const shape = isShape(spec) ? spec : spec.shape;
      const name = g.input(`x${i}`, dtype, shape);
      const d = !isShape(spec) && spec.domain ? spec.domain : ([lo, hi] as [number, number]);
      feeds[name] = makeTensor(dtype, sample(shape.reduce((a, b) => a * b, 1), d), shape);
      if (isShape(spec)) wrt.push(name);
      names.push(name);
    } else if ('int64' in spec) {
      names.push(g.constInt64(spec.int64, spec.dims, `c${i}`));
    } else if ('bool' in spec) {
      names.push(g.initializer(`c${i}`, 'bool', spec.dims, Uint8Array.from(spec.bool)));
    } else {
      names.push(g.initializer(`c${i}`, 'float32', spec.dims, Float32Array.from(spec.float)));
    }
  });
  while (names.length > 0 && names[names.length - 1] === '') names.pop();
  const outs = g.node(op, names, attrs, { outputs: opts.outputs ?? 1 });
  const fwdModel = (() => {
    outs.forEach((o) => g.output(o, dtype));
    return g.build();
  })();
  const fwdShapes = await probeShapes(fwdModel, feeds);

  // loss = sum_i sum(y_i * r_i)
  g.outputs.length = 0;
  const terms = (opts.lossOutputs ?? [0]).map((i) => {
    const dims = fwdShapes.get(outs[i])!.dims;
    const n = dims.reduce((a, b) => a * b, 1);
    const r = g.initializer(`r${i}`, dtype, dims, dtype === 'float64' ? Float64Array.from(sample(n, [-1, 1])) : Float32Array.from(sample(n, [-1, 1])));
    return g.op('ReduceSum', [g.op('Mul', [outs[i], r])], { keepdims: 0 });
  });
  const loss = terms.length === 1 ? terms[0] : g.op('Sum', terms);
  g.output(loss, dtype, []);
  const lossModel = g.build();
  const shapes = await probeShapes(lossModel, feeds);
  const back = buildBackward(lossModel, loss, wrt, { shapes });

  const fwd = await session(lossModel);
  const bwd = await session(back);
  try {
    const analytic = await bwd.run(feeds);
    const h = dtype === 'float64' ? 1e-5 : 1e-2;
    const tol = opts.tol ?? (dtype === 'float64' ? 1e-6 : 1e-2);
    let maxError = 0;
    let worst = '';
    for (const w of wrt) {
      const base = feeds[w].data as Float64Array | Float32Array;
      const ana = analytic[`grad.${w}`].data as Float64Array | Float32Array;
      const scale = Math.max(1, ...Array.from(ana, Math.abs));
      const n = base.length;
      const limit = opts.maxElements ?? 400;
      const picks = n <= limit ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: limit }, () => rng.int(n));
      for (const e of picks) {
        const evalAt = async (delta: number): Promise<number> => {
          const copy = base.slice();
          copy[e] += delta;
          const r = await fwd.run({ ...feeds, [w]: makeTensor(dtype, copy, feeds[w].dims) });
          return Number((r[loss].data as Float64Array)[0]);
        };
        const numeric = ((await evalAt(h)) - (await evalAt(-h))) / (2 * h);
        const err = Math.abs(numeric - ana[e]) / scale;
        if (err > maxError) {
          maxError = err;
          worst = `${w}[${e}]: numeric ${numeric.toPrecision(7)} vs analytic ${Number(ana[e]).toPrecision(7)}`;
        }
      }
    }
    return { dtype, maxError, tol, seed, worst };
  } finally {
    await fwd.release();
    await bwd.release();
  }
}

function isMissingKernel(e: unknown): boolean {
  const m = (e as Error).message ?? '';
  return /Could not find an implementation|NOT_IMPLEMENTED|not supported|Type Error|type.*double|tensor\(double\)/i.test(m);
}

/**
 * Checks the VJP rule of `op` on random inputs; throws with the maximum error, tolerance, seed and worst
 * element when they disagree. Returns the result for tests that want to print or assert more.
 */
export async function checkVjp(op: string, inputs: readonly InputSpec[], attrs: Attrs = {}, opts: CheckOptions = {}): Promise<CheckResult> {
  let result: CheckResult;
  if (opts.float32) result = await attempt(op, inputs, attrs, opts, 'float32');
  else {
    try {
      result = await attempt(op, inputs, attrs, opts, 'float64');
    } catch (e) {
      if (!isMissingKernel(e)) throw e;
      result = await attempt(op, inputs, attrs, opts, 'float32');
    }
  }
  if (!(result.maxError <= result.tol)) {
    throw new Error(
      `checkVjp(${op}) failed in ${result.dtype}: max error ${result.maxError.toExponential(3)} > tolerance ${result.tol} ` +
        `(seed ${result.seed}); worst ${result.worst}`,
    );
  }
  return result;
}

/** checkVjp for test callbacks that must return Promise<void>. */
export async function assertVjp(...args: Parameters<typeof checkVjp>): Promise<void> {
  await checkVjp(...args);
}
