/**
 * NCHWc convolutions for training graphs on ORT's CPU provider.
 *
 * ORT's NCHWc transformer (graph optimization level 'all') rewrites a Conv into its blocked-layout kernel
 * (com.microsoft.nchwc Conv, MLAS direct convolution) only when the weight is a constant initializer, because it
 * reorders the weight once at load time. In a training graph the weights are inputs (they change every step), so
 * the transformer leaves the forward Convs on the slower im2col + GEMM path. This pass does the rewrite itself and
 * reorders the weight inside the graph every step (one Transpose over the weight, small next to the conv):
 *   x [N,C,H,W] -> ReorderInput (C a multiple of the block; C < block stays NCHW, as ORT's own rewrite does)
 *   W [M,C,kh,kw] -> Reshape/Transpose to MLAS's filter layout (OIHWBiBo, or OIHWBo for C < block)
 *   nchwc Conv -> ReorderOutput(channels=M) -> the original output name.
 * The block size depends on the CPU (16 with AVX-512, 8 with AVX2), so it is probed at session time and the saved
 * training graph stays portable. Only Convs whose input and output shapes are known (graph inputs or value_info;
 * buildTrainingModel records them for forward Convs) are rewritten.
 */
import * as ort from 'onnxruntime-node';
import { readAttr } from '../autodiff/kit.js';
import { GraphBuilder } from '../onnx/graph.js';
import { declaredDims } from '../autodiff/shapes.js';
import { onnx, serializeModel, type AttributeProto, type ModelProto, type NodeProto, type TensorProto } from '../onnx/proto.js';

export const NCHWC_DOMAIN = 'com.microsoft.nchwc';

/**
 * Which Convs are worth it. Same-process CPU-time A/B at 1 thread (README, session 3): the NCHWc kernel won on
 * 7x7 stem, 64-channel 32x32 and 128-channel 16x16 layers (13.3 -> 11.2, 9.5 -> 7.3, 8.1 -> 7.3 ms), lost on
 * 256-channel 8x8 and 512-channel 4x4 layers (7.7 -> 8.4, 9.2 -> 16.2 ms: few positions, large weight to reorder)
 * and on 1x1 kernels.
 */
export const nchwcTuning = { minOutputPositions: 256, minKernelElements: 2 };

let probed: Promise<number> | undefined;

/** The NCHWc block size of this CPU (the channel count ReorderInput rounds 4 channels up to); 0 if unavailable. */
export function nchwcBlockSize(): Promise<number> {
  probed ??= (async () => {
    const g = new GraphBuilder('nchwc-probe');
    const y = g.node('ReorderInput', [g.input('x', 'float32', [1, 4, 1, 1])], {}, { domain: NCHWC_DOMAIN })[0];
    g.output(y, 'float32');
    const m = g.build();
    m.opsetImport!.push({ domain: NCHWC_DOMAIN, version: 1 });
    try {
      const s = await ort.InferenceSession.create(serializeModel(m), { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled' });
      const out = await s.run({ x: new ort.Tensor('float32', new Float32Array(4), [1, 4, 1, 1]) });
      await s.release();
      const block = Number(out[y].dims[1]);
      return block >= 4 && (block & (block - 1)) === 0 ? block : 0;
    } catch {
      return 0; // ORT build without the NCHWc kernels: train on plain Convs
    }
  })();
  return probed;
}

/** Returns a copy of `model` whose eligible Convs run as NCHWc Convs with block size `block`; `count` says how many. */
export function rewriteConvsToNchwc(model: ModelProto, block: number): { model: ModelProto; count: number } {
  const graph = model.graph!;
  const shapes = declaredDims(model);
  const constants = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const taken = new Set<string>();
  for (const n of graph.node ?? []) for (const v of [...(n.input ?? []), ...(n.output ?? []), n.name ?? '']) taken.add(v);
  let serial = 0;
  const fresh = (base: string): string => {
    let name: string;
    do name = `${base}/nchwc_${serial++}`;
    while (taken.has(name));
    taken.add(name);
    return name;
  };
  const extraInits: TensorProto[] = [];
  const int64 = (values: number[]): string => {
    const name = fresh('shape');
    extraInits.push(onnx.TensorProto.create({ name, dataType: 7, dims: [values.length], int64Data: values }));
    return name;
  };
  const nodes: NodeProto[] = [];
  let count = 0;
  for (const n of graph.node ?? []) {
    const [x, w, b] = n.input ?? [];
    const xs = shapes.get(x);
    const ws = shapes.get(w);
    const ys = shapes.get(n.output?.[0] ?? '');
    const eligible =
      (n.domain ?? '') === '' && n.opType === 'Conv' && !constants.has(w) && xs?.length === 4 && ws?.length === 4 && ys?.length === 4 &&
      Number(readAttr(n, 'group') ?? 1) === 1 && (readAttr(n, 'auto_pad') ?? 'NOTSET') === 'NOTSET' &&
      ys[1] % block === 0 && (xs[1] % block === 0 || xs[1] < block) &&
      ys[2] * ys[3] >= nchwcTuning.minOutputPositions && ws[2] * ws[3] >= nchwcTuning.minKernelElements;
    if (!eligible) {
      nodes.push(n);
      continue;
    }
    const [M, C, kh, kw] = ws;
    const base = n.name || n.output![0];
    const blockedInput = C % block === 0;
    const node = (opType: string, inputs: string[], attrs: AttributeProto[], domain = ''): string => {
      const out = fresh(base);
      nodes.push({ opType, input: inputs, output: [out], name: fresh(`${base}/${opType}`), attribute: attrs, domain });
      return out;
    };
    const ints = (name: string, v: number[]): AttributeProto => ({ name, type: 7, ints: v });
    // MLAS filter layouts: OIHWBiBo [M/B, C/B, kh, kw, Bi, Bo] for blocked inputs, OIHWBo [M/B, C, kh, kw, Bo] else.
    const filter = blockedInput
      ? node('Transpose', [node('Reshape', [w, int64([M / block, block, C / block, block, kh, kw])], [])], [ints('perm', [0, 2, 4, 5, 3, 1])])
      : node('Transpose', [node('Reshape', [w, int64([M / block, block, C, kh, kw])], [])], [ints('perm', [0, 2, 3, 4, 1])]);
    const wr = node('Reshape', [filter, int64(ws)], []);
    const xr = blockedInput ? node('ReorderInput', [x], [], NCHWC_DOMAIN) : x;
    const keep = (n.attribute ?? []).filter((a) => ['strides', 'pads', 'dilations'].includes(a.name ?? ''));
    const yc = node('Conv', b ? [xr, wr, b] : [xr, wr], [...keep, ints('kernel_shape', [kh, kw])], NCHWC_DOMAIN);
    nodes.push({ opType: 'ReorderOutput', input: [yc], output: [n.output![0]], name: fresh(`${base}/ReorderOutput`), attribute: [{ name: 'channels', type: 2, i: M }], domain: NCHWC_DOMAIN });
    count++;
  }
  if (count === 0) return { model, count };
  const opsetImport = [...(model.opsetImport ?? []).filter((o) => o.domain !== NCHWC_DOMAIN), { domain: NCHWC_DOMAIN, version: 1 }];
  return {
    model: onnx.ModelProto.create({ ...model, opsetImport, graph: onnx.GraphProto.create({ ...graph, node: nodes, initializer: [...(graph.initializer ?? []), ...extraInits] }) }),
    count,
  };
}
