/**
 * GraphBuilder: the typed way to write ONNX graphs in TypeScript. Layers, autodiff rules and optimizers all
 * add nodes through it, so names stay unique and every graph serialises the same way.
 *
 * Vocabulary: a *value* is a tensor name in the graph (a string); `op()` adds one node and returns its single
 * output; `node()` returns all outputs. Attributes are plain JS values; numbers under names that ONNX defines as
 * floats (see FLOAT_ATTRS) are written as FLOAT, other numbers as INT.
 */
import { StudioError } from '../../../shared/errors.js';
import {
  onnx,
  arrayToTensor,
  DTYPE_TO_ONNX,
  type DType,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type TypedArray,
  type ValueInfoProto,
  type AttributeProto,
} from './proto.js';

export type Dim = number | string; // string = symbolic (e.g. 'N')
export type AttrValue = number | string | number[] | string[] | TensorProto | { float: number } | { floats: number[] };
export type Attrs = Record<string, AttrValue | undefined>;

export const DEFAULT_OPSET = 17;

const FLOAT_ATTRS = new Set([
  'alpha', 'beta', 'epsilon', 'momentum', 'gamma', 'lambd', 'bias', 'ratio', 'extrapolation_value',
  'cubic_coeff_a', 'value_float', 'spatial_scale', 'threshold', 'seed', 'mean', 'scale', 'high', 'low',
]);

export function attribute(name: string, v: AttrValue): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') {
    return FLOAT_ATTRS.has(name) || !Number.isInteger(v)
      ? { name, type: T.FLOAT, f: v }
      : { name, type: T.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === 'string') {
      return { name, type: T.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    }
    const nums = v as number[];
    return FLOAT_ATTRS.has(name) || nums.some((x) => !Number.isInteger(x))
      ? { name, type: T.FLOATS, floats: nums }
      : { name, type: T.INTS, ints: nums };
  }
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  return { name, type: T.TENSOR, t: v };
}

export function valueInfo(name: string, dtype: DType, shape?: readonly Dim[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DTYPE_TO_ONNX[dtype],
        shape: shape ? { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined,
      },
    },
  };
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  readonly initializers = new Map<string, TensorProto>();
  readonly valueInfos: ValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(readonly name = 'graph', readonly opset = DEFAULT_OPSET) {}

  /** A name not used yet, derived from `prefix` (e.g. 'enc.1.conv' -> 'enc.1.conv', 'enc.1.conv_2'). */
  fresh(prefix: string): string {
    let name = prefix;
    while (this.used.has(name)) name = `${prefix}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  /** Declares that `name` exists already (e.g. when extending a parsed graph). */
  reserve(name: string): string {
    this.used.add(name);
    return name;
  }

  input(name: string, dtype: DType, shape: readonly Dim[]): string {
    if (this.used.has(name)) throw new StudioError('BAD_REQUEST', `Graph input "${name}" is already defined.`);
    this.used.add(name);
    this.inputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  output(name: string, dtype: DType = 'float32', shape?: readonly Dim[]): string {
    this.outputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  initializer(name: string, dtype: DType, dims: readonly number[], data: TypedArray): string {
    const n = this.fresh(name);
    this.initializers.set(n, arrayToTensor(n, dtype, dims, data));
    return n;
  }

  /** Small constant tensors (shapes, axes, scalars) are initializers too: ORT folds them either way. */
  constFloat(values: number | readonly number[], dims?: readonly number[], prefix = 'const'): string {
    const arr = typeof values === 'number' ? [values] : values;
    return this.initializer(prefix, 'float32', dims ?? (typeof values === 'number' ? [] : [arr.length]), Float32Array.from(arr));
  }

  constInt64(values: number | readonly number[], dims?: readonly number[], prefix = 'const'): string {
    const arr = typeof values === 'number' ? [values] : values;
    return this.initializer(prefix, 'int64', dims ?? (typeof values === 'number' ? [] : [arr.length]), BigInt64Array.from(arr.map((v) => BigInt(v))));
  }

  node(
    opType: string,
    inputs: readonly string[],
    attrs: Attrs = {},
    opts: { outputs?: number | readonly string[]; name?: string; domain?: string } = {},
  ): string[] {
    const base = opts.name ?? opType;
    const nodeName = this.fresh(base);
    const outputs = Array.isArray(opts.outputs)
      ? (opts.outputs as string[]).map((o) => (o === '' ? '' : this.reserve(o)))
      : Array.from({ length: (opts.outputs as number | undefined) ?? 1 }, (_, i) => this.fresh(`${nodeName}:${i}`));
    const attribute_ = Object.entries(attrs)
      .filter((e): e is [string, AttrValue] => e[1] !== undefined)
      .map(([k, v]) => attribute(k, v));
    this.nodes.push({ opType, input: [...inputs], output: outputs, name: nodeName, attribute: attribute_, domain: opts.domain ?? '' });
    return outputs;
  }

  op(opType: string, inputs: readonly string[], attrs: Attrs = {}, name?: string): string {
    return this.node(opType, inputs, attrs, { name })[0];
  }

  build(meta: { producer?: string; metadata?: Record<string, string>; docString?: string } = {}): ModelProto {
    return onnx.ModelProto.create({
      irVersion: 8,
      producerName: meta.producer ?? 'defect-studio',
      producerVersion: '0.1.0',
      docString: meta.docString ?? '',
      opsetImport: [{ domain: '', version: this.opset }],
      metadataProps: Object.entries(meta.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.name,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: [...this.initializers.values()],
        valueInfo: this.valueInfos,
      },
    });
  }
}
