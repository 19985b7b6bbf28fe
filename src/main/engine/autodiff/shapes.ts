/**
 * Shapes and small constant values of every tensor in a forward graph, found by running the graph once in ORT
 * with every intermediate value exposed as an output ("probing").
 *
 * Why probe instead of our own shape inference: PyTorch exports compute shapes with Shape -> Gather -> Concat
 * chains, Resize takes computed sizes, Reshape takes computed targets. Running the graph gives exact shapes
 * and the values of those small int64 tensors for every op ORT supports, with no second implementation of
 * ONNX shape semantics to keep in sync. The cost is one forward pass when a training graph is built.
 */
import * as ort from 'onnxruntime-node';
import { StudioError } from '../../../shared/errors.js';
import { onnx, serializeModel, tensorToArray, type DType, type ModelProto } from '../onnx/proto.js';
import { Rng } from '../rng.js';

export interface ValueShape {
  dtype: DType;
  dims: number[];
  /** Values of small tensors (<= SMALL elements: shapes, axes, pads, scales), as numbers. */
  values?: number[];
}
export type ShapeMap = Map<string, ValueShape>;

const SMALL = 64;

const ORT_TO_DTYPE: Record<string, DType> = {
  float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', uint8: 'uint8', int8: 'int8', bool: 'bool', float16: 'float16',
};

function smallValues(data: ArrayLike<number | bigint | boolean>, n: number): number[] | undefined {
  if (n > SMALL) return undefined;
  return Array.from({ length: n }, (_, i) => Number(data[i]));
}

/** Shapes of initializers and Constant-node outputs, without running anything. */
export function staticShapes(model: ModelProto): ShapeMap {
  const shapes: ShapeMap = new Map();
  for (const t of model.graph?.initializer ?? []) {
    const { dtype, dims, data } = tensorToArray(t);
    shapes.set(t.name ?? '', { dtype, dims, values: smallValues(data as ArrayLike<number | bigint>, data.length) });
  }
  return shapes;
}

/**
 * Fully static shapes the graph declares for its inputs, value infos and outputs (a training graph built here
 * records every probed shape), without running anything. Tensors with any unknown dimension are left out.
 */
export function declaredDims(model: ModelProto): Map<string, number[]> {
  const graph = model.graph!;
  const shapes = new Map<string, number[]>();
  for (const v of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
    const dims = v.type?.tensorType?.shape?.dim;
    if (!dims || !v.name) continue;
    const out = dims.map((d) => (d.dimValue !== undefined && d.dimValue !== null ? Number(d.dimValue) : NaN));
    if (out.every((d) => Number.isInteger(d) && d > 0)) shapes.set(v.name, out);
  }
  return shapes;
}

/**
 * Runs `model` once on `feeds` and returns the dtype, dims and (for small tensors) values of every tensor.
 * Graph inputs missing from `feeds` are an error naming the input.
 */
export async function probeShapes(model: ModelProto, feeds: Record<string, ort.Tensor>): Promise<ShapeMap> {
  const graph = model.graph!;
  const shapes = staticShapes(model);
  const initNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  for (const inp of graph.input ?? []) {
    const name = inp.name ?? '';
    if (initNames.has(name)) continue;
    const t = feeds[name];
    if (!t) throw new StudioError('BAD_REQUEST', `The model needs input "${name}" but none was given.`);
    shapes.set(name, { dtype: ORT_TO_DTYPE[t.type] ?? 'float32', dims: [...t.dims], values: smallValues(t.data as ArrayLike<number>, t.size) });
  }
  const seen = new Set<string>([...shapes.keys()]);
  const outputs: string[] = [];
  for (const node of graph.node ?? []) {
    for (const o of node.output ?? []) if (o && !seen.has(o)) { seen.add(o); outputs.push(o); }
  }
  const probe = onnx.ModelProto.create({ ...model, graph: { ...graph, output: outputs.map((name) => ({ name })) } });
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(serializeModel(probe), { graphOptimizationLevel: 'disabled' });
  } catch (e) {
    throw new StudioError('UNSUPPORTED', `ONNX Runtime cannot load the model: ${(e as Error).message}`);
  }
  try {
    const usedFeeds: Record<string, ort.Tensor> = {};
    for (const n of session.inputNames) if (feeds[n]) usedFeeds[n] = feeds[n];
    const result = await session.run(usedFeeds);
    for (const name of outputs) {
      const t = result[name];
      if (!t) continue;
      shapes.set(name, { dtype: ORT_TO_DTYPE[t.type] ?? 'float32', dims: [...t.dims], values: smallValues(t.data as ArrayLike<number>, t.size) });
      t.dispose?.();
    }
  } catch (e) {
    throw new StudioError('BAD_REQUEST', `Running the model on the given inputs failed: ${(e as Error).message}`);
  } finally {
    await session.release();
  }
  return shapes;
}

/** Zero-filled feeds for graph inputs with static shapes (used when building training graphs from builders). */
export function zeroFeeds(model: ModelProto, dims: Record<string, number[]> = {}): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  const initNames = new Set((model.graph?.initializer ?? []).map((t) => t.name ?? ''));
  for (const inp of model.graph?.input ?? []) {
    const name = inp.name ?? '';
    if (initNames.has(name)) continue;
    const tt = inp.type?.tensorType;
    const shape = dims[name] ?? (tt?.shape?.dim ?? []).map((d, i) => {
      const v = Number(d.dimValue ?? 0);
      if (!(v > 0)) throw new StudioError('BAD_REQUEST', `Input "${name}" has a symbolic dimension ${i}; pass its size explicitly.`);
      return v;
    });
    const n = shape.reduce((a, b) => a * b, 1);
    const elem = tt?.elemType ?? 1;
    const DT = onnx.TensorProto.DataType;
    if (elem === DT.FLOAT) feeds[name] = new ort.Tensor('float32', new Float32Array(n), shape);
    else if (elem === DT.DOUBLE) feeds[name] = new ort.Tensor('float64', new Float64Array(n), shape);
    else if (elem === DT.INT64) feeds[name] = new ort.Tensor('int64', new BigInt64Array(n), shape);
    else if (elem === DT.INT32) feeds[name] = new ort.Tensor('int32', new Int32Array(n), shape);
    else if (elem === DT.BOOL) feeds[name] = new ort.Tensor('bool', new Uint8Array(n), shape);
    else throw new StudioError('UNSUPPORTED', `Input "${name}" has element type ${elem}, which zeroFeeds does not fill.`);
  }
  return feeds;
}

/**
 * zeroFeeds filled from a seeded Rng: standard normals for float inputs, integers in [0, 10) for int64 (labels).
 * Pass an Rng instead of a seed to keep drawing from the same sequence afterwards.
 */
export function randomFeeds(model: ModelProto, seed: number | Rng): Record<string, ort.Tensor> {
  const rng = typeof seed === 'number' ? new Rng(seed) : seed;
  const feeds = zeroFeeds(model);
  for (const t of Object.values(feeds)) {
    const d = t.data;
    if (d instanceof Float32Array) for (let i = 0; i < d.length; i++) d[i] = rng.normal();
    else if (d instanceof BigInt64Array) for (let i = 0; i < d.length; i++) d[i] = BigInt(rng.int(10));
  }
  return feeds;
}
