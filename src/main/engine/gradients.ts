/**
 * Loss and parameter gradients of an arbitrary ONNX model whose first output is a scalar loss: the engine
 * side of the `grad` CLI command, and the quickest way to check our autodiff against another framework.
 * "Parameters" are the floating-point initializers the loss depends on differentiably.
 */
import * as ort from 'onnxruntime-node';
import { StudioError } from '../../shared/errors.js';
import { buildBackwardDetailed } from './autodiff/backward.js';
import { readAttr } from './autodiff/kit.js';
import { normalizeForTraining } from './autodiff/normalize.js';
import { probeShapes } from './autodiff/shapes.js';
import type { NpyArray } from './npy.js';
import { onnx, serializeModel, tensorDims, type ModelProto } from './onnx/proto.js';

const FLOAT_TYPES = new Set([onnx.TensorProto.DataType.FLOAT, onnx.TensorProto.DataType.DOUBLE, onnx.TensorProto.DataType.FLOAT16]);

export interface GradientSession {
  lossName: string;
  /** initializer name -> gradient output name, only for initializers that receive a gradient. */
  params: Map<string, string>;
  session: ort.InferenceSession;
  feeds: Record<string, ort.Tensor>;
}

function npyToTensor(name: string, arr: NpyArray, declared: number | undefined): ort.Tensor {
  const DT = onnx.TensorProto.DataType;
  const dims = arr.shape;
  const want = declared ?? DT.FLOAT;
  // Accept the common lossless-enough conversions (numpy saves float64 and int64 by default).
  if (want === DT.FLOAT && (arr.dtype === 'float32' || arr.dtype === 'float64')) {
    return new ort.Tensor('float32', arr.dtype === 'float32' ? (arr.data as Float32Array) : Float32Array.from(arr.data as Float64Array), dims);
  }
  if (want === DT.DOUBLE && (arr.dtype === 'float64' || arr.dtype === 'float32')) {
    return new ort.Tensor('float64', Float64Array.from(arr.data as Float32Array), dims);
  }
  if (want === DT.INT64 && ['int64', 'int32', 'uint8'].includes(arr.dtype)) {
    return new ort.Tensor('int64', arr.dtype === 'int64' ? (arr.data as BigInt64Array) : BigInt64Array.from(Array.from(arr.data as Int32Array, (v) => BigInt(v))), dims);
  }
  if (want === DT.INT32 && (arr.dtype === 'int32' || arr.dtype === 'int64')) {
    return new ort.Tensor('int32', arr.dtype === 'int32' ? (arr.data as Int32Array) : Int32Array.from(arr.data as BigInt64Array, (v) => Number(v)), dims);
  }
  if (want === DT.BOOL && (arr.dtype === 'bool' || arr.dtype === 'uint8')) return new ort.Tensor('bool', arr.data as Uint8Array, dims);
  if (want === DT.UINT8 && arr.dtype === 'uint8') return new ort.Tensor('uint8', arr.data as Uint8Array, dims);
  throw new StudioError('BAD_REQUEST', `Input "${name}" is ${arr.dtype} in the .npy file but the model declares ONNX element type ${want}.`);
}

/** Checks names, shapes and dtypes of the given inputs against the model's graph inputs. */
export function validateFeeds(model: ModelProto, inputs: Record<string, NpyArray>, source: Record<string, string> = {}): Record<string, ort.Tensor> {
  const graph = model.graph!;
  const initNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const declared = (graph.input ?? []).filter((i) => !initNames.has(i.name ?? ''));
  const declaredNames = new Set(declared.map((i) => i.name ?? ''));
  for (const name of Object.keys(inputs)) {
    if (!declaredNames.has(name)) {
      throw new StudioError('BAD_REQUEST', `The model has no input "${name}"; its inputs are: ${[...declaredNames].join(', ') || '(none)'}.`);
    }
  }
  const feeds: Record<string, ort.Tensor> = {};
  for (const inp of declared) {
    const name = inp.name ?? '';
    const arr = inputs[name];
    if (!arr) throw new StudioError('BAD_REQUEST', `Missing input "${name}": pass --input ${name}=FILE.npy.`);
    const dims = inp.type?.tensorType?.shape?.dim ?? [];
    const where = source[name] ? ` (${source[name]})` : '';
    if (inp.type?.tensorType?.shape && dims.length !== arr.shape.length) {
      throw new StudioError('BAD_REQUEST', `Input "${name}"${where} has shape (${arr.shape.join(', ')}) but the model expects rank ${dims.length}.`);
    }
    dims.forEach((d, i) => {
      const v = d.dimValue !== undefined && d.dimValue !== null ? Number(d.dimValue) : 0;
      if (v > 0 && v !== arr.shape[i]) {
        const expected = dims.map((x) => (x.dimValue ? Number(x.dimValue) : (x.dimParam ?? '?'))).join(', ');
        throw new StudioError('BAD_REQUEST', `Input "${name}"${where} has shape (${arr.shape.join(', ')}) but the model expects (${expected}).`);
      }
    });
    feeds[name] = npyToTensor(name, arr, inp.type?.tensorType?.elemType ?? undefined);
  }
  return feeds;
}

/** Builds the loss+gradients model for every float initializer and opens an ORT session on it. */
export async function openGradientSession(source: ModelProto, inputs: Record<string, NpyArray>, files: Record<string, string> = {}): Promise<GradientSession> {
  const model = normalizeForTraining(source);
  const graph = model.graph!;
  const lossName = graph.output?.[0]?.name;
  if (!lossName) throw new StudioError('BAD_REQUEST', 'The model has no outputs; its first output must be the scalar loss.');
  const feeds = validateFeeds(model, inputs, files);
  const shapes = await probeShapes(model, feeds);
  const params = (graph.initializer ?? [])
    .filter((t) => FLOAT_TYPES.has(t.dataType ?? 0) && tensorDims(t).every((d) => d > 0))
    .map((t) => t.name ?? '');
  // ORT fuses Conv + BatchNormalization even with training_mode=1 when the BN's running-stat outputs are
  // unused, silently switching to inference statistics; keeping those outputs alive prevents it.
  const running = (graph.node ?? [])
    .filter((n) => n.opType === 'BatchNormalization' && readAttr(n, 'training_mode') === 1)
    .flatMap((n) => (n.output ?? []).slice(1, 3).filter((o) => !!o));
  const res = buildBackwardDetailed(model, lossName, params, { shapes, keepOutputs: running });
  const flowing = new Map([...res.gradOutputs].filter(([w]) => res.flowing.has(w)));
  // Drop the zero outputs of parameters without a gradient so ORT does not compute them.
  const keep = new Set([lossName, ...flowing.values(), ...running]);
  const outputs = res.model.graph!.output!.filter((o) => keep.has(o.name ?? ''));
  const trimmed = onnx.ModelProto.create({ ...res.model, graph: onnx.GraphProto.create({ ...res.model.graph!, output: outputs }) });
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(serializeModel(trimmed), { graphOptimizationLevel: 'all' });
  } catch (e) {
    throw new StudioError('INTERNAL', `ONNX Runtime rejected the gradient graph: ${(e as Error).message}`);
  }
  return { lossName, params: flowing, session, feeds };
}

/** Percent-encodes every character outside [A-Za-z0-9._-] (UTF-8 bytes, upper-case hex): "a/b:0" -> "a%2Fb%3A0". */
export function encodeTensorFileName(name: string): string {
  return Array.from(new TextEncoder().encode(name), (b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9._-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}
