import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { probeShapes } from '../../../../src/main/engine/autodiff/shapes.js';
import { GraphBuilder } from '../../../../src/main/engine/onnx/graph.js';
import { serializeModel } from '../../../../src/main/engine/onnx/proto.js';
import { buildTrainingModel } from '../../../../src/main/engine/optim/trainingGraph.js';
import { Rng } from '../../../../src/main/engine/rng.js';
import { Trainer } from '../../../../src/main/engine/runtime/trainer.js';
import { resolveBackbone } from '../../../../src/main/models/backbones/index.js';
import { defaultParams } from '../../../../src/main/models/kd/index.js';
import { suppressBorder } from '../../../../src/main/models/kd/network.js';
import { buildTrainingForward, inputMultiple, makeBatchFn, studentConfig } from '../../../../src/main/models/kd/train.js';

describe('KD reverse distillation student', () => {
  it('restores the teacher levels from the bottleneck: SSPCAB and SimAM inside, teacher frozen, loss decreases', async () => {
    const backbone = resolveBackbone('mobilenetv2');
    const p = { ...defaultParams(backbone), architecture: 'reverse' as const, levels: ['block_5', 'block_10'], widths: [16, 32] };
    // The bottleneck sits one stride below the deepest level: inputs are multiples of 2 x 16.
    expect(inputMultiple(p, backbone)).toBe(32);
    const cfg = studentConfig(p, backbone);
    const fwd = buildTrainingForward(backbone, cfg, p, 2, 64, 0);
    const ops = new Set((fwd.model.graph!.node ?? []).map((n) => n.name ?? ''));
    expect([...ops].some((n) => n.startsWith('student.bottleneck.sspcab'))).toBe(true);
    expect((fwd.model.graph!.node ?? []).filter((n) => n.opType === 'Sigmoid').length).toBeGreaterThanOrEqual(3); // SimAM x3 + SE gate
    const rng = new Rng(5);
    const images = Array.from({ length: 2 }, () => ({ data: Uint8Array.from({ length: 3 * 64 * 64 }, (_, i) => 110 + 50 * Math.sin((i % 64) * 0.5) + rng.uniform(-10, 10)), h: 64, w: 64, mean: 0.45, std: 0.15 }));
    const batch = makeBatchFn(images, 2, 64, 1, 0)(0);
    const shapes = await probeShapes(fwd.model, batch);
    const training = buildTrainingModel(fwd.model, { loss: 'loss', optimizer: { kind: 'adam' }, shapes, params: fwd.params, reportOutputs: fwd.terms });
    expect(training.params.every((n) => n.startsWith('student.'))).toBe(true);
    const trainer = await Trainer.create(training, { provider: { provider: 'cpu', skipped: [] }, threads: 1 });
    const first = await trainer.step(batch, 3e-3);
    expect(Object.keys(first.terms).sort()).toEqual(['loss.block_10', 'loss.block_5', 'loss.sspcab']);
    let last = first;
    for (let i = 0; i < 14; i++) last = await trainer.step(batch, 3e-3);
    await trainer.release();
    expect(last.terms['loss.block_5']).toBeLessThan(first.terms['loss.block_5']);
    expect(last.terms['loss.block_10']).toBeLessThan(first.terms['loss.block_10']);
  }, 60_000);
});

describe('KD border band', () => {
  it('replaces the outer cells by the nearest interior cell and keeps the interior', async () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', [1, 1, 'H', 'W']);
    g.node('Identity', [suppressBorder(g, x, 1)], {}, { outputs: ['y'] });
    g.output('y', 'float32');
    const s = await ort.InferenceSession.create(serializeModel(g.build()));
    // 4 x 5 map with a hot border: interior cells are 1..6 (rows 1-2, cols 1-3).
    const m = Float32Array.from([9, 9, 9, 9, 9, 9, 1, 2, 3, 9, 9, 4, 5, 6, 9, 9, 9, 9, 9, 9]);
    const y = (await s.run({ x: new ort.Tensor('float32', m, [1, 1, 4, 5]) })).y.data as Float32Array;
    await s.release();
    expect(Array.from(y)).toEqual([1, 1, 2, 3, 3, 1, 1, 2, 3, 3, 4, 4, 5, 6, 6, 4, 4, 5, 6, 6]);
  });
});
