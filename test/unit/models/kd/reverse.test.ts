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
    const p = { ...defaultParams(backbone), architecture: 'reverse' as const, levels: ['block_5', 'block_10'], widths: [16, 32], denoise: 0 };
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
  async function band(m: Float32Array, h: number, w: number, cells: number): Promise<number[]> {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', [1, 1, 'H', 'W']);
    g.node('Identity', [suppressBorder(g, x, cells)], {}, { outputs: ['y'] });
    g.output('y', 'float32');
    const s = await ort.InferenceSession.create(serializeModel(g.build()));
    const y = (await s.run({ x: new ort.Tensor('float32', m, [1, 1, h, w]) })).y.data as Float32Array;
    await s.release();
    return Array.from(y);
  }

  it('replaces the outer cells by the nearest interior cell and keeps the interior', async () => {
    // 8 x 8 map: a hot 1-cell border around interior values 0..35; ⌊8 / 8⌋ = 1 cell even though 3 are asked.
    const m = new Float32Array(64).fill(9);
    for (let y = 1; y < 7; y++) for (let x = 1; x < 7; x++) m[y * 8 + x] = (y - 1) * 6 + (x - 1);
    const y = await band(m, 8, 8, 3);
    const at = (r: number, c: number) => y[r * 8 + c];
    expect(at(0, 0)).toBe(0); // corner -> nearest interior corner
    expect(at(0, 4)).toBe(3); // top edge -> the interior cell below it
    expect(at(7, 7)).toBe(35);
    expect(at(4, 0)).toBe(18); // left edge
    for (let r = 1; r < 7; r++) for (let c = 1; c < 7; c++) expect(at(r, c)).toBe(m[r * 8 + c]);
  });

  it('a wide enough map gets the full band', async () => {
    const m = Float32Array.from({ length: 24 * 32 }, (_, i) => i);
    const y = await band(m, 24, 32, 3);
    expect(y[0]).toBe(m[3 * 32 + 3]); // corner -> cell (3, 3)
    expect(y[10 * 32 + 31]).toBe(m[10 * 32 + 28]); // right edge -> column 28
  });
});
