/**
 * Triton Inference Server model configuration (config.pbtxt) for an exported ONNX, derived from the ONNX graph's
 * own inputs and outputs so that names, dtypes and dims cannot drift from the model file.
 *
 * max_batch_size 0: dims are the full tensor shapes, batch dimension included (-1 = any size). Models with the
 * 'short-side' fit take images of varying H x W, which Triton could not batch together anyway.
 */
import { StudioError } from '../../shared/errors.js';
import { onnx, parseModel, type ValueInfoProto } from '../engine/onnx/proto.js';

const DT = onnx.TensorProto.DataType;
const TRITON_TYPES: Record<number, string> = {
  [DT.UINT8]: 'TYPE_UINT8',
  [DT.INT8]: 'TYPE_INT8',
  [DT.INT32]: 'TYPE_INT32',
  [DT.INT64]: 'TYPE_INT64',
  [DT.FLOAT]: 'TYPE_FP32',
  [DT.FLOAT16]: 'TYPE_FP16',
  [DT.DOUBLE]: 'TYPE_FP64',
  [DT.BOOL]: 'TYPE_BOOL',
};

export interface TritonTensor {
  name: string;
  dataType: string;
  dims: number[];
}

/** Triton model names become folder names: letters, digits, '_', '-', '.' only, not starting with '.'. */
export function tritonModelName(id: string): string {
  const name = id.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^\.+/, '_');
  return name || 'model';
}

function tensorOf(v: ValueInfoProto, where: string): TritonTensor {
  const t = v.type?.tensorType;
  const dataType = TRITON_TYPES[t?.elemType ?? 0];
  if (!v.name || !t || !dataType) throw new StudioError('UNSUPPORTED', `${where}: tensor "${v.name}" has a type Triton's ONNX Runtime backend does not take.`);
  const dims = (t.shape?.dim ?? []).map((d) => (d.dimValue !== null && d.dimValue !== undefined && !d.dimParam ? Number(d.dimValue) : -1));
  return { name: v.name, dataType, dims };
}

/** The inputs and outputs as Triton sees them (the ONNX graph's, unknown dims as -1). */
export function tritonTensors(onnxBytes: Uint8Array, source = 'model.onnx'): { inputs: TritonTensor[]; outputs: TritonTensor[] } {
  const graph = parseModel(onnxBytes, source).graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  return {
    inputs: (graph.input ?? []).filter((i) => !initializers.has(i.name)).map((i) => tensorOf(i, source)),
    outputs: (graph.output ?? []).map((o) => tensorOf(o, source)),
  };
}

function block(kind: 'input' | 'output', tensors: TritonTensor[]): string {
  const items = tensors.map((t) => `  {\n    name: "${t.name}"\n    data_type: ${t.dataType}\n    dims: [ ${t.dims.join(', ')} ]\n  }`);
  return `${kind} [\n${items.join(',\n')}\n]`;
}

export function tritonConfig(name: string, onnxBytes: Uint8Array, comments: string[] = []): string {
  const { inputs, outputs } = tritonTensors(onnxBytes);
  return [
    ...comments.map((c) => `# ${c}`),
    `name: "${name}"`,
    'platform: "onnxruntime_onnx"',
    'max_batch_size: 0',
    block('input', inputs),
    block('output', outputs),
    'instance_group [ { kind: KIND_AUTO } ]',
    '',
  ].join('\n');
}
