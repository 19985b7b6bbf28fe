/**
 * The ONNX protobuf schema (onnx-proto: protobufjs static code generated from onnx.proto) plus the few
 * conversions every part of the engine needs: bytes <-> ModelProto, TensorProto <-> typed arrays.
 */
import onnxProto from 'onnx-proto';
import { StudioError } from '../../../shared/errors.js';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'int8' | 'bool' | 'float16';
export type TypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | Uint16Array;

const DT = onnxProto.onnx.TensorProto.DataType;
export const DTYPE_TO_ONNX: Record<DType, number> = {
  float32: DT.FLOAT,
  float64: DT.DOUBLE,
  int64: DT.INT64,
  int32: DT.INT32,
  uint8: DT.UINT8,
  int8: DT.INT8,
  bool: DT.BOOL,
  float16: DT.FLOAT16,
};
export const ONNX_TO_DTYPE: Record<number, DType> = Object.fromEntries(
  Object.entries(DTYPE_TO_ONNX).map(([k, v]) => [v, k as DType]),
) as Record<number, DType>;

export function dtypeOfOnnx(elemType: number | null | undefined, where: string): DType {
  const d = ONNX_TO_DTYPE[elemType ?? 0];
  if (!d) throw new StudioError('UNSUPPORTED', `Unsupported ONNX element type ${elemType} for ${where}.`);
  return d;
}

export function parseModel(bytes: Uint8Array, source = 'model'): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new StudioError('UNREADABLE', `${source} is not an ONNX model (protobuf decode failed: ${(e as Error).message}).`);
  }
  if (!model.graph || !model.graph.node || (model.graph.node.length === 0 && (model.graph.output?.length ?? 0) === 0)) {
    throw new StudioError('UNREADABLE', `${source} is not an ONNX model: it has no graph.`);
  }
  return model;
}

export function serializeModel(model: ModelProto | onnxProto.onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model as onnxProto.onnx.IModelProto).finish();
}

function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map((d) => toNumber(d as number));
}

/** Reads a TensorProto (raw_data or typed fields) into a fresh typed array. */
export function tensorToArray(t: TensorProto): { dtype: DType; dims: number[]; data: TypedArray } {
  const dtype = dtypeOfOnnx(t.dataType, `tensor "${t.name}"`);
  const dims = tensorDims(t);
  const n = dims.reduce((a, b) => a * b, 1);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  if (raw) {
    const buf = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
    switch (dtype) {
      case 'float32': return { dtype, dims, data: new Float32Array(buf) };
      case 'float64': return { dtype, dims, data: new Float64Array(buf) };
      case 'int64': return { dtype, dims, data: new BigInt64Array(buf) };
      case 'int32': return { dtype, dims, data: new Int32Array(buf) };
      case 'uint8':
      case 'bool': return { dtype, dims, data: new Uint8Array(buf) };
      case 'int8': return { dtype, dims, data: new Int8Array(buf) };
      case 'float16': return { dtype, dims, data: new Uint16Array(buf) };
    }
  }
  switch (dtype) {
    case 'float32': return { dtype, dims, data: Float32Array.from(t.floatData ?? new Array(n).fill(0)) };
    case 'float64': return { dtype, dims, data: Float64Array.from(t.doubleData ?? []) };
    case 'int64': return { dtype, dims, data: BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(toNumber(v as number)))) };
    case 'int32': return { dtype, dims, data: Int32Array.from(t.int32Data ?? []) };
    case 'uint8':
    case 'bool': return { dtype, dims, data: Uint8Array.from(t.int32Data ?? []) };
    case 'int8': return { dtype, dims, data: Int8Array.from(t.int32Data ?? []) };
    case 'float16': return { dtype, dims, data: Uint16Array.from(t.int32Data ?? []) };
  }
}

/** Builds a TensorProto with raw_data (compact, fast to encode). */
export function arrayToTensor(name: string, dtype: DType, dims: readonly number[], data: TypedArray): TensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  if (data.length !== n) {
    throw new StudioError('BAD_REQUEST', `Tensor "${name}" has ${data.length} values but dims [${dims.join(', ')}] need ${n}.`);
  }
  return onnx.TensorProto.create({
    name,
    dataType: DTYPE_TO_ONNX[dtype],
    dims: [...dims],
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(),
  });
}
