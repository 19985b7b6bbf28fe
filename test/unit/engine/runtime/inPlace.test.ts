import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { probeShapes } from '../../../../src/main/engine/autodiff/shapes.js';
import { GraphBuilder } from '../../../../src/main/engine/onnx/graph.js';
import type { OptimizerConfig } from '../../../../src/main/engine/optim/optimizers.js';
import { buildTrainingModel } from '../../../../src/main/engine/optim/trainingGraph.js';
import { Rng } from '../../../../src/main/engine/rng.js';
import { inPlaceSlots } from '../../../../src/main/engine/runtime/inPlace.js';

/** Conv -> training-mode BatchNorm -> mean of squares. */
async function bnNet(optimizer: OptimizerConfig) {
  const rng = new Rng(5);
  const g = new GraphBuilder('bn');
  const x = g.input('x', 'float32', [2, 2, 5, 5]);
  const w = g.initializer('conv.w', 'float32', [3, 2, 3, 3], rng.normals(54, 0.4));
  const [bn] = g.node('BatchNormalization', [g.op('Conv', [x, w]), g.constFloat([1, 1, 1], [3], 'bn.scale'), g.constFloat([0, 0, 0], [3], 'bn.bias'), g.constFloat([0, 0, 0], [3], 'bn.mean'), g.constFloat([1, 1, 1], [3], 'bn.var')], { training_mode: 1, momentum: 0.9 }, { outputs: 3 });
  const loss = g.op('ReduceMean', [g.op('Mul', [bn, bn])], { keepdims: 0 });
  g.output(loss, 'float32', []);
  const model = g.build();
  const feeds = { x: new ort.Tensor('float32', Float32Array.from(rng.uniforms(100, -1, 1)), [2, 2, 5, 5]) };
  return buildTrainingModel(model, { loss, optimizer, shapes: await probeShapes(model, feeds), params: ['conv.w', 'bn.scale', 'bn.bias'] });
}

describe('inPlaceSlots', () => {
  it('lets Adam moments and the BN running variance share input and output, not parameters or the running mean', async () => {
    const tm = await bnNet({ kind: 'adam' });
    const safe = inPlaceSlots(tm.model, tm.state);
    const byKind = (kind: string) => tm.state.filter((s) => s.kind === kind).map((s) => s.input);
    for (const m of byKind('optimizer')) expect(safe.has(m), m).toBe(true);
    for (const p of byKind('param')) expect(safe.has(p), p).toBe(false);
    expect(safe.has('bn.mean')).toBe(false); // the BN node reads it and writes its successor
    expect(safe.has('bn.var')).toBe(true); // BN and the momentum Mul read it before the rescaled update writes it
  });

  it('covers SGD momentum buffers too', async () => {
    const tm = await bnNet({ kind: 'sgd', momentum: 0.9, nesterov: true });
    const safe = inPlaceSlots(tm.model, tm.state);
    const momentum = tm.state.filter((s) => s.kind === 'optimizer').map((s) => s.input);
    expect(momentum.length).toBe(3);
    for (const m of momentum) expect(safe.has(m), m).toBe(true);
  });
});
