/**
 * A training model on disk: the training graph, with each state input's initial value stored as an initializer
 * of the same name (ONNX's "input with a default") and the state-slot table in metadata_props. It lets one
 * process build the graph (shape probe, autodiff: memory-hungry) and another run it (a job's child process, the
 * benchmark's timed process) without rebuilding.
 */
import { readFile } from 'node:fs/promises';
import { StudioError } from '../../../shared/errors.js';
import { arrayToTensor, onnx, parseModel, serializeModel, tensorToArray } from '../onnx/proto.js';
import { writeFileAtomic } from '../runtime/atomicWrite.js';
import type { StateSlot, TrainingModel } from './trainingGraph.js';

const META = 'defect-studio.training';

interface Header {
  lossName: string;
  lrInput: string;
  stepInput: string;
  params: string[];
  reportOutputs?: string[];
  state: Omit<StateSlot, 'initial'>[];
}

export async function saveTrainingModel(file: string, tm: TrainingModel): Promise<void> {
  const header: Header = {
    lossName: tm.lossName,
    lrInput: tm.lrInput,
    stepInput: tm.stepInput,
    params: tm.params,
    reportOutputs: tm.reportOutputs,
    state: tm.state.map(({ initial: _initial, ...rest }) => rest),
  };
  const graph = tm.model.graph!;
  const model = onnx.ModelProto.create({
    ...tm.model,
    metadataProps: [...(tm.model.metadataProps ?? []), { key: META, value: JSON.stringify(header) }],
    graph: onnx.GraphProto.create({
      ...graph,
      initializer: [...(graph.initializer ?? []), ...tm.state.map((s) => arrayToTensor(s.input, 'float32', s.dims, s.initial))],
    }),
  });
  await writeFileAtomic(file, serializeModel(model));
}

export async function loadTrainingModel(file: string): Promise<TrainingModel> {
  const bytes = await readFile(file);
  // A view, not `new Uint8Array(bytes)` (a second 135 MB copy for ResNet-18 that stays until GC).
  const model = parseModel(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
  const meta = model.metadataProps?.find((p) => p.key === META)?.value;
  if (!meta) throw new StudioError('UNREADABLE', `${file} is an ONNX model but not a saved training model (no ${META} metadata).`);
  const header = JSON.parse(meta) as Header;
  const graph = model.graph!;
  const byName = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const stateNames = new Set(header.state.map((s) => s.input));
  const state: StateSlot[] = header.state.map((s) => {
    const t = byName.get(s.input);
    if (!t) throw new StudioError('UNREADABLE', `${file} lacks the initial value of state "${s.input}".`);
    return { ...s, initial: tensorToArray(t).data };
  });
  const stripped = onnx.ModelProto.create({
    ...model,
    metadataProps: (model.metadataProps ?? []).filter((p) => p.key !== META),
    // The remaining initializers' raw_data are views into the file's buffer; copying them (they are small
    // constants) lets that buffer (parameters + optimizer state, 135 MB for ResNet-18) be freed.
    graph: onnx.GraphProto.create({
      ...graph,
      initializer: (graph.initializer ?? [])
        .filter((t) => !stateNames.has(t.name ?? ''))
        .map((t) => (t.rawData && t.rawData.length > 0 ? onnx.TensorProto.create({ ...t, rawData: t.rawData.slice() }) : t)),
    }),
  });
  return { model: stripped, lossName: header.lossName, lrInput: header.lrInput, stepInput: header.stepInput, params: header.params, reportOutputs: header.reportOutputs ?? [], state };
}
