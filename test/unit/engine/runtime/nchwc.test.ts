import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { probeShapes } from '../../../../src/main/engine/autodiff/shapes.js';
import { GraphBuilder } from '../../../../src/main/engine/onnx/graph.js';
import { buildTrainingModel } from '../../../../src/main/engine/optim/trainingGraph.js';
import { Rng } from '../../../../src/main/engine/rng.js';
import { NCHWC_DOMAIN, nchwcBlockSize, rewriteConvsToNchwc } from '../../../../src/main/engine/runtime/nchwc.js';
import { Trainer } from '../../../../src/main/engine/runtime/trainer.js';
import { expectSameTraining } from './sameTraining.js';

const CPU = { provider: 'cpu' as const, skipped: [] };

/** Two 3x3 Convs at 16x16 (3 -> 16 -> 16 channels: the NCHW-input and the blocked-input layouts) and a 1x1 Conv. */
async function convNet() {
  const rng = new Rng(11);
  const g = new GraphBuilder('nchwc-net');
  const x = g.input('x', 'float32', [2, 3, 16, 16]);
  const target = g.input('target', 'float32', [2, 16, 16, 16]);
  const w1 = g.initializer('c1.w', 'float32', [16, 3, 3, 3], rng.normals(16 * 27, 0.3));
  const w2 = g.initializer('c2.w', 'float32', [16, 16, 3, 3], rng.normals(16 * 144, 0.1));
  const w3 = g.initializer('c3.w', 'float32', [16, 16, 1, 1], rng.normals(256, 0.2));
  const h1 = g.op('Relu', [g.op('Conv', [x, w1], { pads: [1, 1, 1, 1] }, 'c1')]);
  const h2 = g.op('Relu', [g.op('Conv', [h1, w2], { pads: [1, 1, 1, 1] }, 'c2')]);
  const y = g.op('Conv', [h2, w3], {}, 'c3');
  const d = g.op('Sub', [y, target]);
  const loss = g.op('ReduceMean', [g.op('Mul', [d, d])], { keepdims: 0 });
  g.output(loss, 'float32', []);
  const model = g.build();
  const feeds = {
    x: new ort.Tensor('float32', Float32Array.from(rng.uniforms(2 * 3 * 256, -1, 1)), [2, 3, 16, 16]),
    target: new ort.Tensor('float32', Float32Array.from(rng.uniforms(2 * 16 * 256, -1, 1)), [2, 16, 16, 16]),
  };
  const shapes = await probeShapes(model, feeds);
  return { build: () => buildTrainingModel(model, { loss, optimizer: { kind: 'adam' }, shapes }), feeds };
}

describe('NCHWc Convs in training graphs', () => {
  it('rewrites the forward 3x3 Convs whose weights are inputs, not the 1x1 one', async () => {
    const { build } = await convNet();
    const tm = build();
    const r = rewriteConvsToNchwc(tm.model, 8);
    expect(r.count).toBe(2);
    const nchwcConvs = r.model.graph!.node!.filter((n) => n.domain === NCHWC_DOMAIN && n.opType === 'Conv');
    expect(nchwcConvs).toHaveLength(2);
    expect(r.model.opsetImport!.some((o) => o.domain === NCHWC_DOMAIN)).toBe(true);
    // The original outputs keep their names (produced by ReorderOutput), so the rest of the graph is untouched.
    const produced = new Set(r.model.graph!.node!.flatMap((n) => n.output ?? []));
    for (const n of tm.model.graph!.node!) for (const o of n.output ?? []) expect(produced.has(o)).toBe(true);
  });

  it('trains to the same losses and weights as the plain Convs', async () => {
    const block = await nchwcBlockSize();
    if (block === 0) return; // this ORT build has no NCHWc kernels: the Trainer never rewrites
    const { build, feeds } = await convNet();
    const logs: string[] = [];
    const plain = await Trainer.create(build(), { provider: CPU, nchwc: false });
    const blocked = await Trainer.create(build(), { provider: CPU, nchwc: true, log: (l) => logs.push(l) });
    expect(logs.join('\n')).toContain(`2 Convs on ORT's NCHWc kernels (block ${block})`);
    await expectSameTraining(plain, blocked, feeds, { lossTol: 1e-5, stateTol: 1e-4 });
    await plain.release();
    await blocked.release();
  });
});
