/**
 * Checkpoints are ordinary ONNX files: the forward model with the current weights and running statistics as
 * its initializers, optimizer state as extra initializers named "opt.<slot>.<param>" (ORT ignores unused
 * initializers), and the step and optimizer in metadata_props. Any ONNX tool can open one; it is also the
 * starting point of an export.
 */
import { readFile } from 'node:fs/promises';
import { StudioError } from '../../../shared/errors.js';
import { arrayToTensor, onnx, parseModel, serializeModel, tensorToArray, type ModelProto, type TypedArray } from '../onnx/proto.js';
import { writeFileAtomic } from './atomicWrite.js';

export const META_STEP = 'defect-studio.step';
export const META_OPTIMIZER = 'defect-studio.optimizer';

export interface CheckpointData {
  step: number;
  optimizer?: string;
  /** Current values of parameters, running statistics and optimizer slots by state input name. */
  tensors: Map<string, { dims: number[]; data: TypedArray }>;
}

export function checkpointModel(forward: ModelProto, data: CheckpointData): ModelProto {
  const graph = forward.graph!;
  const initNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const initializers = (graph.initializer ?? []).map((t) => {
    const v = data.tensors.get(t.name ?? '');
    return v ? arrayToTensor(t.name ?? '', 'float32', v.dims, v.data) : t;
  });
  for (const [name, v] of data.tensors) {
    if (!initNames.has(name)) initializers.push(arrayToTensor(name, 'float32', v.dims, v.data));
  }
  const meta = (forward.metadataProps ?? []).filter((p) => p.key !== META_STEP && p.key !== META_OPTIMIZER);
  meta.push({ key: META_STEP, value: String(data.step) });
  if (data.optimizer) meta.push({ key: META_OPTIMIZER, value: data.optimizer });
  return onnx.ModelProto.create({ ...forward, metadataProps: meta, graph: onnx.GraphProto.create({ ...graph, initializer: initializers }) });
}

export async function saveCheckpoint(file: string, forward: ModelProto, data: CheckpointData): Promise<void> {
  await writeFileAtomic(file, serializeModel(checkpointModel(forward, data)));
}

/** Reads a checkpoint: the forward model (without optimizer slots) and every stored tensor. */
export async function loadCheckpoint(file: string): Promise<{ model: ModelProto; data: CheckpointData }> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw new StudioError('NOT_FOUND', `Cannot read checkpoint ${file}: ${(e as Error).message}`);
  }
  const model = parseModel(bytes, file);
  const graph = model.graph!;
  const tensors = new Map<string, { dims: number[]; data: TypedArray }>();
  for (const t of graph.initializer ?? []) {
    const a = tensorToArray(t);
    if (a.dtype === 'float32') tensors.set(t.name ?? '', { dims: a.dims, data: a.data });
  }
  const meta = new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  const forward = onnx.ModelProto.create({
    ...model,
    graph: onnx.GraphProto.create({ ...graph, initializer: (graph.initializer ?? []).filter((t) => !(t.name ?? '').startsWith('opt.')) }),
  });
  return { model: forward, data: { step: Number(meta.get(META_STEP) ?? 0), optimizer: meta.get(META_OPTIMIZER), tensors } };
}
