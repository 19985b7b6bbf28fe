import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { probeShapes } from '../../../../src/main/engine/autodiff/shapes.js';
import { GraphBuilder } from '../../../../src/main/engine/onnx/graph.js';
import type { ModelProto } from '../../../../src/main/engine/onnx/proto.js';
import type { OptimizerConfig } from '../../../../src/main/engine/optim/optimizers.js';
import { buildTrainingModel } from '../../../../src/main/engine/optim/trainingGraph.js';
import { loadCheckpoint } from '../../../../src/main/engine/runtime/checkpoint.js';
import { chooseProvider, sessionOptions } from '../../../../src/main/engine/runtime/providers.js';
import { Trainer } from '../../../../src/main/engine/runtime/trainer.js';

const CPU = { provider: 'cpu' as const, skipped: [] };

/** loss = sum(w * c) + sum(frozen): dloss/dw = c, a constant, so every optimizer step is computable by hand. */
function linearModel(w0: number[], c: number[]): { model: ModelProto; loss: string } {
  const g = new GraphBuilder('lin');
  const w = g.initializer('w', 'float32', [w0.length], Float32Array.from(w0));
  const frozen = g.initializer('frozen', 'float32', [1], Float32Array.from([7]));
  const cc = g.constFloat(c, [c.length], 'c'); // an initializer too: frozen below
  const loss = g.op('Add', [g.op('ReduceSum', [g.op('Mul', [w, cc])], { keepdims: 0 }), g.op('ReduceSum', [frozen], { keepdims: 0 })]);
  g.output(loss, 'float32', []);
  return { model: g.build(), loss };
}

/** torch.optim reference for a constant gradient. */
function reference(cfg: OptimizerConfig, w0: number[], grad: number[], lr: number, steps: number, clip?: number): number[] {
  const w = [...w0];
  const m = w.map(() => 0);
  const v = w.map(() => 0);
  for (let t = 1; t <= steps; t++) {
    let g = [...grad];
    if (clip !== undefined) {
      const norm = Math.sqrt(g.reduce((a, b) => a + b * b, 0));
      g = g.map((x) => x * Math.min(1, clip / (norm + 1e-6)));
    }
    for (let i = 0; i < w.length; i++) {
      const wd = cfg.weightDecay ?? 0;
      if (cfg.kind === 'sgd') {
        const d = g[i] + wd * w[i];
        const mu = cfg.momentum ?? 0;
        if (mu) {
          m[i] = mu * m[i] + d;
          w[i] -= lr * (cfg.nesterov ? d + mu * m[i] : m[i]);
        } else w[i] -= lr * d;
      } else {
        const [b1, b2, eps] = [cfg.beta1 ?? 0.9, cfg.beta2 ?? 0.999, cfg.eps ?? 1e-8];
        if (cfg.kind === 'adamw') w[i] *= 1 - lr * wd;
        const d = cfg.kind === 'adam' ? g[i] + wd * w[i] : g[i];
        m[i] = b1 * m[i] + (1 - b1) * d;
        v[i] = b2 * v[i] + (1 - b2) * d * d;
        w[i] -= (lr / (1 - b1 ** t)) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - b2 ** t) + eps));
      }
    }
  }
  return w;
}

async function trainLinear(cfg: OptimizerConfig, steps: number, clip?: number, threads = { threads: 1 } as { threads: number; spinning?: boolean }): Promise<{ w: number[]; frozen: boolean; trainer: Trainer; model: ModelProto }> {
  const { model, loss } = linearModel([0.5, -1, 2], [1, -2, 0.25]);
  const tm = buildTrainingModel(model, { loss, optimizer: cfg, shapes: await probeShapes(model, {}), frozen: ['frozen', 'c'], clipGradNorm: clip });
  const trainer = await Trainer.create(tm, { provider: CPU, ...threads });
  for (let i = 0; i < steps; i++) await trainer.trainStep({}, 0.1);
  expect(tm.params).toEqual(['w']);
  return { w: Array.from(trainer.stateTensors().get('w')!.data as Float32Array), frozen: tm.model.graph!.initializer!.some((t) => t.name === 'frozen'), trainer, model };
}

describe('optimizers as ONNX subgraphs (one session.run = forward + backward + update)', () => {
  it.each([
    [{ kind: 'sgd' }],
    [{ kind: 'sgd', momentum: 0.9 }],
    [{ kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.01 }],
    [{ kind: 'adam' }],
    [{ kind: 'adam', weightDecay: 0.1 }],
    [{ kind: 'adamw', weightDecay: 0.1, beta1: 0.8 }],
  ] as [OptimizerConfig][])('%j matches the torch.optim formulas over 3 steps', async (cfg) => {
    const { w, frozen, trainer } = await trainLinear(cfg, 3);
    const ref = reference(cfg, [0.5, -1, 2], [1, -2, 0.25], 0.1, 3);
    w.forEach((x, i) => expect(x).toBeCloseTo(ref[i], 5));
    expect(frozen).toBe(true);
    await trainer.release();
  });

  it('resumes a checkpoint written with the older unscaled moments (opt.m / opt.v) at the right scale', async () => {
    // 3 steps in torch's form, handed over as torch's m and v, then 2 more steps here = the 5-step torch reference.
    const cfg: OptimizerConfig = { kind: 'adam', beta1: 0.8, beta2: 0.99 };
    const [w0, c, lr] = [[0.5, -1, 2], [1, -2, 0.25], 0.1];
    const w3 = reference(cfg, w0, c, lr, 3);
    const m3 = c.map((g) => (1 - 0.8 ** 3) * g); // constant gradient: m_t = (1 - b1^t) g, v_t = (1 - b2^t) g^2
    const v3 = c.map((g) => (1 - 0.99 ** 3) * g * g);
    const { model, loss } = linearModel(w0, c);
    const tm = buildTrainingModel(model, { loss, optimizer: cfg, shapes: await probeShapes(model, {}), frozen: ['frozen', 'c'] });
    const trainer = await Trainer.create(tm, { provider: CPU, threads: 1 });
    const t = (xs: number[]) => ({ dims: [xs.length], data: Float32Array.from(xs) });
    trainer.restore({ step: 3, tensors: new Map([['w', t(w3)], ['opt.m.w', t(m3)], ['opt.v.w', t(v3)]]) });
    for (let i = 0; i < 2; i++) await trainer.trainStep({}, lr);
    const ref = reference(cfg, w0, c, lr, 5);
    Array.from(trainer.stateTensors().get('w')!.data as Float32Array).forEach((x, i) => expect(x).toBeCloseTo(ref[i], 5));
    // Read unscaled, the moments would give other weights: the scale is what the test checks.
    const wrong = await Trainer.create(buildTrainingModel(model, { loss, optimizer: cfg, shapes: await probeShapes(model, {}), frozen: ['frozen', 'c'] }), { provider: CPU, threads: 1 });
    wrong.restore({ step: 3, tensors: new Map([['w', t(w3)], ['opt.ms.w', t(m3)], ['opt.vs.w', t(v3)]]) });
    for (let i = 0; i < 2; i++) await wrong.trainStep({}, lr);
    expect(Math.max(...Array.from(wrong.stateTensors().get('w')!.data as Float32Array).map((x, i) => Math.abs(x - ref[i])))).toBeGreaterThan(1e-3);
    await trainer.release();
    await wrong.release();
  });

  it('clips by global norm', async () => {
    const cfg: OptimizerConfig = { kind: 'sgd' };
    const { w, trainer } = await trainLinear(cfg, 2, 0.5);
    const ref = reference(cfg, [0.5, -1, 2], [1, -2, 0.25], 0.1, 2, 0.5);
    w.forEach((x, i) => expect(x).toBeCloseTo(ref[i], 6));
    await trainer.release();
  });

  it('updates BatchNorm running statistics as state and trains a small CNN (loss falls)', async () => {
    const g = new GraphBuilder('cnn');
    const x = g.input('x', 'float32', [4, 1, 6, 6]);
    const target = g.input('target', 'float32', [4, 1]);
    const { Rng } = await import('../../../../src/main/engine/rng.js');
    const rng = new Rng(3);
    const w1 = g.initializer('conv.w', 'float32', [4, 1, 3, 3], rng.normals(36, 0.5));
    const [bn] = g.node('BatchNormalization', [g.op('Conv', [x, w1], { pads: [1, 1, 1, 1] }), g.constFloat([1, 1, 1, 1], [4], 'bn.scale'), g.constFloat([0, 0, 0, 0], [4], 'bn.bias'), g.constFloat([0, 0, 0, 0], [4], 'bn.mean'), g.constFloat([1, 1, 1, 1], [4], 'bn.var')], { training_mode: 1, momentum: 0.9 }, { outputs: 3 });
    const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [g.op('Relu', [bn])])]);
    const fc = g.initializer('fc.w', 'float32', [4, 1], rng.normals(4, 0.5));
    const pred = g.op('MatMul', [pooled, fc]);
    const diff = g.op('Sub', [pred, target]);
    const loss = g.op('ReduceMean', [g.op('Mul', [diff, diff])], { keepdims: 0 });
    g.output(loss, 'float32', []);
    const model = g.build();
    const xs = new ort.Tensor('float32', Float32Array.from({ length: 144 }, (_, i) => Math.sin(i * 0.37) + (i < 72 ? 0.5 : -0.5)), [4, 1, 6, 6]);
    const ys = new ort.Tensor('float32', Float32Array.from([1, 1, -1, -1]), [4, 1]);
    const feeds = { x: xs, target: ys };
    const tm = buildTrainingModel(model, { loss, optimizer: { kind: 'adam' }, shapes: await probeShapes(model, feeds) });
    expect(tm.state.filter((s) => s.kind === 'running').map((s) => s.input).sort()).toEqual(['bn.mean', 'bn.var']);
    const trainer = await Trainer.create(tm, { provider: CPU });
    const losses: number[] = [];
    for (let i = 0; i < 60; i++) losses.push(await trainer.trainStep(feeds, 0.05));
    expect(losses[59]).toBeLessThan(0.2 * losses[0]);
    const mean = trainer.stateTensors().get('bn.mean')!.data as Float32Array;
    expect(Array.from(mean).some((v) => v !== 0)).toBe(true); // running mean moved off its initial zeros

    // Checkpoint round trip: the restored trainer continues exactly where this one is.
    const dir = await mkdtemp(path.join(tmpdir(), 'ckpt-'));
    const file = path.join(dir, 'model.onnx');
    await trainer.saveCheckpoint(file, model);
    expect(await readdir(dir)).toEqual(['model.onnx']); // no temp file left behind
    const ck = await loadCheckpoint(file);
    expect(ck.data.step).toBe(60);
    const trainer2 = await Trainer.create(buildTrainingModel(ck.model, { loss, optimizer: { kind: 'adam' }, shapes: await probeShapes(ck.model, feeds) }), { provider: CPU });
    trainer2.restore(ck.data);
    const next1 = await trainer.trainStep(feeds, 0.05);
    const next2 = await trainer2.trainStep(feeds, 0.05);
    expect(next2).toBeCloseTo(next1, 5);
    await trainer.release();
    await trainer2.release();
  });

  it('lets idle intra-op threads sleep when spinning is false (same updates)', async () => {
    expect(sessionOptions({ threads: 2, spinning: false }).extra).toEqual({ session: { intra_op: { allow_spinning: '0' } } });
    expect(sessionOptions({ threads: 2 }).extra).toBeUndefined();
    const cfg: OptimizerConfig = { kind: 'adam' };
    const { w, trainer } = await trainLinear(cfg, 3, undefined, { threads: 2, spinning: false });
    // The Trainer hands the setting to its session (not only sessionOptions in isolation).
    expect(trainer.sessionOptions.extra).toEqual({ session: { intra_op: { allow_spinning: '0' } } });
    expect(trainer.sessionOptions.intraOpNumThreads).toBe(2);
    const ref = reference(cfg, [0.5, -1, 2], [1, -2, 0.25], 0.1, 3);
    w.forEach((x, i) => expect(x).toBeCloseTo(ref[i], 5));
    await trainer.release();
  });

  it('chooses CPU here and says why CUDA and DirectML were skipped', async () => {
    const choice = await chooseProvider('linux');
    expect(choice.provider === 'cpu' || choice.provider === 'cuda').toBe(true);
    const dml = choice.skipped.find((s) => s.provider === 'dml');
    expect(dml?.reason).toMatch(/only used on Windows/);
    if (choice.provider === 'cpu') expect(choice.skipped.find((s) => s.provider === 'cuda')?.reason.length).toBeGreaterThan(0);
  });
});
