/**
 * Late-stage forward Convs of a training graph as one batched GEMM over the dW im2col (issue 4).
 *
 * ORT's CPU Conv runs one im2col + GEMM per image and splits that GEMM across the intra-op threads; with few output
 * positions (ResNet layer3/4: 64 or 16 per image) the split GEMMs are too small and the Conv gets slower with a
 * second thread. The weight gradient already unfolds the same input (convWeightGrad's `<conv>/grad/dW_im2col`
 * node), so the forward can reuse those columns:
 *   y = Reshape(MatMul(Reshape(W, [M, C·k²]), Reshape(cols, [N, C·k², L])), [N, M, *Sy])
 * ORT's batched MatMul hands whole images to threads instead of splitting each one.
 * Only group-1 Convs without bias whose dW im2col node exists (trainable weight, kernel > 1) and reads the Conv's
 * own input, and whose output has fewer than `maxPositions` positions per image, are rewritten. 2-D kernels of 5x5
 * and more unfold in two Convs (rules/conv.ts im2col), the named one reading the first's rows: those stay Convs.
 */
import { readAttr } from '../autodiff/kit.js';
import { declaredDims } from '../autodiff/shapes.js';
import { onnx, type ModelProto, type NodeProto, type TensorProto } from '../onnx/proto.js';

/**
 * ResNet-18 step (batch 16, 128 px), quiet machine, engine-ab.ts alternating (README, session 4): below 256
 * positions (layer3's 8x8 and layer4's 4x4 convs) wall median 502 -> 484 ms at 2 threads, 839 -> 825 ms at 1.
 */
export const BATCH_GEMM_MAX_POSITIONS = 256;

export function rewriteLateConvsToBatchGemm(model: ModelProto, maxPositions: number): { model: ModelProto; count: number } {
  const graph = model.graph!;
  const shapes = declaredDims(model);
  const im2col = new Map<string, NodeProto>();
  for (const n of graph.node ?? []) if (n.opType === 'Conv' && n.name?.endsWith('/grad/dW_im2col')) im2col.set(n.name, n);
  const extraInits: TensorProto[] = [];
  const int64 = (name: string, values: number[]): string => {
    extraInits.push(onnx.TensorProto.create({ name, dataType: 7, dims: [values.length], int64Data: values }));
    return name;
  };
  const nodes: NodeProto[] = [];
  let count = 0;
  const moved = new Set<NodeProto>();
  for (const n of graph.node ?? []) {
    if (moved.has(n)) continue;
    const [x, w, b] = n.input ?? [];
    const ws = shapes.get(w);
    const ys = shapes.get(n.output?.[0] ?? '');
    const cols = im2col.get(`${n.name}/grad/dW_im2col`);
    const positions = ys ? ys.slice(2).reduce((a, c) => a * c, 1) : Infinity;
    const eligible =
      (n.domain ?? '') === '' && n.opType === 'Conv' && !b && cols !== undefined && cols.input?.[0] === x && ws !== undefined && ys !== undefined &&
      Number(readAttr(n, 'group') ?? 1) === 1 && (readAttr(n, 'auto_pad') ?? 'NOTSET') === 'NOTSET' && positions < maxPositions;
    if (!eligible) {
      nodes.push(n);
      continue;
    }
    const base = n.name!;
    const [N, M] = ys;
    const ck = ws.slice(1).reduce((a, c) => a * c, 1);
    const wFlat = `${base}/bgemm/w`;
    const colsFlat = `${base}/bgemm/cols`;
    const prod = `${base}/bgemm/y`;
    // The columns are now needed before the backward pass: keep the node list topologically sorted.
    moved.add(cols);
    nodes.push(
      cols,
      { opType: 'Reshape', input: [w, int64(`${base}/bgemm/w_shape`, [M, ck])], output: [wFlat], name: `${base}/bgemm/Reshape_w` },
      { opType: 'Reshape', input: [cols.output![0], int64(`${base}/bgemm/cols_shape`, [N, ck, positions])], output: [colsFlat], name: `${base}/bgemm/Reshape_cols` },
      { opType: 'MatMul', input: [wFlat, colsFlat], output: [prod], name: `${base}/bgemm/MatMul` },
      { opType: 'Reshape', input: [prod, int64(`${base}/bgemm/y_shape`, ys)], output: [n.output![0]], name: `${base}/bgemm/Reshape_y` },
    );
    count++;
  }
  if (count === 0) return { model, count };
  return {
    model: onnx.ModelProto.create({ ...model, graph: onnx.GraphProto.create({ ...graph, node: nodes, initializer: [...(graph.initializer ?? []), ...extraInits] }) }),
    count,
  };
}
