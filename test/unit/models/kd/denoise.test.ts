import { describe, expect, it } from 'vitest';
import { probeShapes } from '../../../../src/main/engine/autodiff/shapes.js';
import { buildTrainingModel } from '../../../../src/main/engine/optim/trainingGraph.js';
import { Rng } from '../../../../src/main/engine/rng.js';
import { Trainer } from '../../../../src/main/engine/runtime/trainer.js';
import { resolveBackbone } from '../../../../src/main/models/backbones/index.js';
import { defaultParams } from '../../../../src/main/models/kd/index.js';
import { serializeModel } from '../../../../src/main/engine/onnx/proto.js';
import { openSession, ort } from '../../../../src/main/models/session.js';
import { buildTrainingForward, makeBatchFn, studentConfig, textureSource } from '../../../../src/main/models/kd/train.js';

describe('KD denoising batches and training graph', () => {
  const rng = new Rng(3);
  const images = Array.from({ length: 2 }, () => ({ data: Uint8Array.from({ length: 3 * 64 * 64 }, (_, i) => 110 + 50 * Math.sin((i % 64) * 0.5) + rng.uniform(-10, 10)), h: 64, w: 64, mean: 0.45, std: 0.15 }));

  it('keep the clean crops as without denoising and corrupt the student input only', () => {
    const plain = makeBatchFn(images, 2, 64, 1, 0)(3);
    const denoised = makeBatchFn(images, 2, 64, 1, 0, 1)(3);
    expect(Object.keys(plain)).toEqual(['unit']);
    expect(Array.from(denoised.unit.data as Float32Array)).toEqual(Array.from(plain.unit.data as Float32Array));
    const u = denoised.unit.data as Float32Array;
    const n = denoised.noisy.data as Float32Array;
    const half = u.length / 2;
    // denoise = 1: both crops carry an anomaly.
    for (const b of [0, 1]) expect(n.subarray(b * half, (b + 1) * half).some((v, i) => v !== u[b * half + i])).toBe(true);
    expect(Array.from(makeBatchFn(images, 2, 64, 1, 0, 1)(3).noisy.data as Float32Array)).toEqual(Array.from(n));
  });

  it('takes the texture from another crop, or with batch 1 from the crop rolled by half its side', () => {
    const c = 8;
    const out = Float32Array.from({ length: 2 * 3 * c * c }, (_, i) => i);
    expect(Array.from(textureSource(out, 0, 2, c))).toEqual(Array.from(out.subarray(3 * c * c)));
    const one = out.subarray(0, 3 * c * c);
    const rolled = textureSource(one, 0, 1, c);
    expect(rolled.some((v, i) => v !== one[i])).toBe(true);
    expect(rolled[(1 * c + 0) * c + 0]).toBe(one[(1 * c + 4) * c + 4]); // channel 1, (0,0) <- (4,4)
    expect(Array.from(rolled).sort((a, b) => a - b)).toEqual(Array.from(one)); // a permutation of the crop
  });

  it('with noisy = unit the loss is the plain graph\'s; changing noisy alone changes it', async () => {
    const backbone = resolveBackbone('mobilenetv2');
    const p = { ...defaultParams(backbone), levels: ['block_5', 'block_10'], widths: [16, 32] };
    const loss = async (denoise: number, feeds: Record<string, Float32Array>) => {
      const fwd = buildTrainingForward(backbone, studentConfig(p, backbone), { ...p, denoise }, 2, 64, 0);
      const { session } = await openSession(serializeModel(fwd.model), 'test');
      try {
        const t = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v, [2, 3, 64, 64])]));
        return ((await session.run(t)).loss.data as Float32Array)[0];
      } finally {
        await session.release();
      }
    };
    const batch = makeBatchFn(images, 2, 64, 1, 0, 1)(0);
    const unit = batch.unit.data as Float32Array;
    const plain = await loss(0, { unit });
    expect(await loss(0.5, { unit, noisy: unit })).toBeCloseTo(plain, 5);
    expect(Math.abs((await loss(0.5, { unit, noisy: batch.noisy.data as Float32Array })) - plain)).toBeGreaterThan(1e-4);
  }, 60_000);

  it('trains the reverse student from the corrupted crops towards the clean teacher features', async () => {
    const backbone = resolveBackbone('mobilenetv2');
    const p = { ...defaultParams(backbone), levels: ['block_5', 'block_10'], widths: [16, 32], denoise: 0.5 };
    const fwd = buildTrainingForward(backbone, studentConfig(p, backbone), p, 2, 64, 0);
    expect(fwd.model.graph!.input!.map((i) => i.name).sort()).toEqual(['noisy', 'unit']);
    // One teacher copy for both halves.
    const teacherInits = [...(fwd.model.graph!.initializer ?? [])].filter((t) => t.name!.startsWith('teacher/')).length;
    const plainInits = [...(buildTrainingForward(backbone, studentConfig(p, backbone), { ...p, denoise: 0 }, 2, 64, 0).model.graph!.initializer ?? [])].filter((t) => t.name!.startsWith('teacher/')).length;
    expect(teacherInits).toBe(plainInits);
    const makeBatch = makeBatchFn(images, 2, 64, 1, 0, 0.5);
    const shapes = await probeShapes(fwd.model, makeBatch(0));
    const training = buildTrainingModel(fwd.model, { loss: 'loss', optimizer: { kind: 'adam' }, shapes, params: fwd.params, reportOutputs: fwd.terms });
    expect(training.params.every((n) => n.startsWith('student.'))).toBe(true);
    const trainer = await Trainer.create(training, { provider: { provider: 'cpu', skipped: [] }, threads: 1 });
    const batch = makeBatch(0);
    const first = await trainer.step(batch, 3e-3);
    let last = first;
    for (let i = 0; i < 12; i++) last = await trainer.step(batch, 3e-3);
    await trainer.release();
    expect(last.terms['loss.block_10']).toBeLessThan(first.terms['loss.block_10']);
  }, 60_000);
});
