import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { probeShapes } from '../../../../src/main/engine/autodiff/shapes.js';
import { GraphBuilder } from '../../../../src/main/engine/onnx/graph.js';
import { buildTrainingModel } from '../../../../src/main/engine/optim/trainingGraph.js';
import { Rng } from '../../../../src/main/engine/rng.js';
import { rewriteLateConvsToBatchGemm } from '../../../../src/main/engine/runtime/batchConv.js';
import { Trainer } from '../../../../src/main/engine/runtime/trainer.js';
import { expectSameTraining } from './sameTraining.js';

const CPU = { provider: 'cpu' as const, skipped: [] };

/**
 * x 3x8x8 -> c1 3x3 pad 1 (64 positions) -> c2 3x3 stride 2 pad (1,0,1,1) (4x4 = 16 positions, asymmetric pads)
 * -> c3 1x1 (16 positions, no im2col: never rewritten) -> c4 2x2 dilation 2 pad 1 with bias (not rewritten).
 */
async function convNet() {
  const rng = new Rng(5);
  const g = new GraphBuilder('batch-gemm-net');
  const x = g.input('x', 'float32', [3, 3, 8, 8]);
  const w1 = g.initializer('c1.w', 'float32', [6, 3, 3, 3], rng.normals(6 * 27, 0.3));
  const w2 = g.initializer('c2.w', 'float32', [8, 6, 3, 3], rng.normals(8 * 54, 0.2));
  const w3 = g.initializer('c3.w', 'float32', [5, 8, 1, 1], rng.normals(40, 0.3));
  const w4 = g.initializer('c4.w', 'float32', [4, 5, 2, 2], rng.normals(80, 0.3));
  const b4 = g.initializer('c4.b', 'float32', [4], rng.normals(4, 0.1));
  const h1 = g.op('Tanh', [g.op('Conv', [x, w1], { pads: [1, 1, 1, 1] }, 'c1')]);
  const h2 = g.op('Tanh', [g.op('Conv', [h1, w2], { strides: [2, 2], pads: [1, 0, 1, 1] }, 'c2')]);
  const h3 = g.op('Tanh', [g.op('Conv', [h2, w3], {}, 'c3')]);
  const y = g.op('Conv', [h3, w4, b4], { dilations: [2, 2], pads: [1, 1, 1, 1] }, 'c4');
  const target = g.input('target', 'float32', [3, 4, 4, 4]);
  const d = g.op('Sub', [y, target]);
  const loss = g.op('ReduceMean', [g.op('Mul', [d, d])], { keepdims: 0 });
  g.output(loss, 'float32', []);
  const model = g.build();
  const feeds = {
    x: new ort.Tensor('float32', Float32Array.from(rng.uniforms(3 * 3 * 64, -1, 1)), [3, 3, 8, 8]),
    target: new ort.Tensor('float32', Float32Array.from(rng.uniforms(3 * 4 * 16, -1, 1)), [3, 4, 4, 4]),
  };
  const shapes = await probeShapes(model, feeds);
  return { build: () => buildTrainingModel(model, { loss, optimizer: { kind: 'adam' }, shapes }), feeds };
}

function rewrittenNames(threshold: number, model: Parameters<typeof rewriteLateConvsToBatchGemm>[0]): string[] {
  const r = rewriteLateConvsToBatchGemm(model, threshold);
  return r.model.graph!.node!.filter((n) => n.opType === 'MatMul' && n.name?.endsWith('/bgemm/MatMul')).map((n) => n.name!.split('/')[0]);
}

describe('late forward Convs as batched MatMuls', () => {
  it('rewrites only group-1, bias-free Convs with an im2col and fewer positions than the threshold', async () => {
    const tm = (await convNet()).build();
    expect(rewrittenNames(16, tm.model)).toEqual([]);
    expect(rewrittenNames(17, tm.model)).toEqual(['c2']);
    expect(rewrittenNames(65, tm.model).sort()).toEqual(['c1', 'c2']);
    expect(rewrittenNames(1e9, tm.model).sort()).toEqual(['c1', 'c2']);
    // The reused im2col node is moved ahead of its new reader: the node list stays topologically sorted.
    const r = rewriteLateConvsToBatchGemm(tm.model, 1e9);
    const seen = new Set<string>([...r.model.graph!.input!.map((v) => v.name!), ...r.model.graph!.initializer!.map((t) => t.name!)]);
    for (const n of r.model.graph!.node!) {
      for (const i of n.input ?? []) if (i) expect(seen.has(i), `${n.name} reads ${i} before it is produced`).toBe(true);
      for (const o of n.output ?? []) seen.add(o);
    }
  });

  for (const threshold of [0, 17, 65]) {
    it(`trains to the same losses and weights as ORT's Conv (threshold ${threshold})`, async () => {
      const { build, feeds } = await convNet();
      const logs: string[] = [];
      const plain = await Trainer.create(build(), { provider: CPU, batchGemmMaxPositions: 0 });
      const gemm = await Trainer.create(build(), { provider: CPU, batchGemmMaxPositions: threshold, log: (l) => logs.push(l) });
      if (threshold > 0) expect(logs.join('\n')).toContain(`${threshold === 17 ? 1 : 2} forward Convs as batched MatMuls`);
      await expectSameTraining(plain, gemm, feeds, { lossTol: 1e-6, stateTol: 1e-5 });
      await plain.release();
      await gemm.release();
    });
  }

  it('leaves 2-D kernels of 5x5 and more as Convs: their im2col is two Convs, the named one reading rows, not x', async () => {
    const rng = new Rng(7);
    const g = new GraphBuilder('batch-gemm-5x5');
    const x = g.input('x', 'float32', [2, 2, 6, 6]);
    const w = g.initializer('c5.w', 'float32', [3, 2, 5, 5], rng.normals(150, 0.2));
    const loss = g.op('ReduceMean', [g.op('Tanh', [g.op('Conv', [x, w], { pads: [2, 2, 2, 2] }, 'c5')])], { keepdims: 0 });
    g.output(loss, 'float32', []);
    const model = g.build();
    const shapes = await probeShapes(model, { x: new ort.Tensor('float32', Float32Array.from(rng.uniforms(144, -1, 1)), [2, 2, 6, 6]) });
    const tm = buildTrainingModel(model, { loss, optimizer: { kind: 'adam' }, shapes });
    expect(tm.model.graph!.node!.some((n) => n.name === 'c5/grad/dW_im2col_rows')).toBe(true);
    expect(rewriteLateConvsToBatchGemm(tm.model, 1e9).count).toBe(0);
  });
});
