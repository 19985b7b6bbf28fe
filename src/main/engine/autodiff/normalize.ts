/**
 * Brings a forward model to the opset the backward graph is written in (17, or the model's own if newer).
 * Gradient rules need ops that only exist from opset 16 (ScatterElements/ScatterND with reduction='add'), and
 * one model can import only one version of the default domain.
 *
 * The only op whose meaning changed between opsets 13 and 17 in a way that matters here is
 * BatchNormalization: up to opset 13 "training mode" meant "has more than one output" (Y, running mean, running
 * var, saved mean, saved var); from opset 14 it is the attribute training_mode=1 with three outputs.
 */
import { StudioError } from '../../../shared/errors.js';
import { attribute } from '../onnx/graph.js';
import { onnx, type ModelProto, type NodeProto } from '../onnx/proto.js';
import { readAttr } from './kit.js';

export const TRAINING_OPSET = 17;

export function modelOpset(model: ModelProto): number {
  return Number(model.opsetImport?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0);
}

export function normalizeForTraining(model: ModelProto): ModelProto {
  const opset = modelOpset(model);
  if (opset < 13) {
    throw new StudioError('UNSUPPORTED', `The model uses ONNX opset ${opset}; export it with opset 13 to 17 (torch.onnx.export(..., opset_version=17)).`);
  }
  if (opset >= TRAINING_OPSET) return model;
  const graph = model.graph!;
  const consumed = new Set<string>();
  for (const n of graph.node ?? []) for (const i of n.input ?? []) consumed.add(i);
  for (const o of graph.output ?? []) consumed.add(o.name ?? '');
  const nodes: NodeProto[] = (graph.node ?? []).map((n) => {
    if (n.opType !== 'BatchNormalization' || (n.output?.length ?? 0) <= 1) return n;
    const extra = (n.output ?? []).slice(3).filter((o) => o && consumed.has(o));
    if (extra.length > 0) {
      throw new StudioError('UNSUPPORTED', `BatchNormalization node "${n.name}" uses the opset-13 saved_mean/saved_var outputs (${extra.join(', ')}), which opset 14+ removed.`);
    }
    // Opset 9-13 "spatial" no longer exists; opset 14-16 nodes already say training_mode themselves.
    const attrs = (n.attribute ?? []).filter((a) => a.name !== 'spatial');
    if (readAttr(n, 'training_mode') === undefined) attrs.push(attribute('training_mode', 1));
    return { ...n, output: (n.output ?? []).slice(0, 3), attribute: attrs };
  });
  return onnx.ModelProto.create({
    ...model,
    opsetImport: (model.opsetImport ?? []).map((o) => (!o.domain || o.domain === 'ai.onnx' ? { domain: o.domain ?? '', version: TRAINING_OPSET } : o)),
    graph: onnx.GraphProto.create({ ...graph, node: nodes }),
  });
}
