import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { probeShapes } from '../../../../src/main/engine/autodiff/shapes.js';
import { GraphBuilder } from '../../../../src/main/engine/onnx/graph.js';
import { buildTrainingModel } from '../../../../src/main/engine/optim/trainingGraph.js';
import { cosineSchedule, runTrainingLoop, type LoopProgress } from '../../../../src/main/engine/runtime/loop.js';
import { Rng } from '../../../../src/main/engine/rng.js';
import { Trainer } from '../../../../src/main/engine/runtime/trainer.js';

const CPU = { provider: 'cpu' as const, skipped: [] };

/** Linear regression y = x·w with a reported second term: enough to see losses move and weights differ per step. */
function regression() {
  const g = new GraphBuilder('reg');
  const x = g.input('x', 'float32', [8, 4]);
  const y = g.input('y', 'float32', [8, 1]);
  const w = g.initializer('w', 'float32', [4, 1], new Float32Array(4));
  const err = g.op('Sub', [g.op('MatMul', [x, w]), y]);
  const mse = g.op('ReduceMean', [g.op('Mul', [err, err])], { keepdims: 0 });
  const l1 = g.op('ReduceMean', [g.op('Abs', [w])], { keepdims: 0 });
  const loss = g.op('Add', [mse, g.op('Mul', [l1, g.constFloat(0.01, [], 'k')])]);
  g.output(loss, 'float32', []);
  g.output(l1, 'float32', []);
  const model = g.build();
  return { model, loss, l1 };
}

function batchOf(step: number): Record<string, ort.Tensor> {
  const r = new Rng(1000 + step);
  const x = new Float32Array(32).map(() => r.normal());
  const y = new Float32Array(8).map((_, i) => x[i * 4] * 2 - x[i * 4 + 1] + 0.5 * x[i * 4 + 3]);
  return { x: new ort.Tensor('float32', x, [8, 4]), y: new ort.Tensor('float32', y, [8, 1]) };
}

async function makeTrainer() {
  const { model, loss, l1 } = regression();
  const shapes = await probeShapes(model, batchOf(0));
  const training = buildTrainingModel(model, { loss, optimizer: { kind: 'adam' }, shapes, reportOutputs: [l1] });
  return { trainer: await Trainer.create(training, { provider: CPU, threads: 1 }), model, l1 };
}

describe('runTrainingLoop', () => {
  it('reduces the loss, reports terms, throughput and ETA', async () => {
    const { trainer, model, l1 } = await makeTrainer();
    const seen: LoopProgress[] = [];
    const res = await runTrainingLoop({
      trainer, forward: model, totalSteps: 40, stepsPerEpoch: 10, batchImages: 8,
      makeBatch: batchOf, lr: cosineSchedule(0.1, 40), onProgress: (p) => seen.push(p), reportEvery: 10,
    });
    expect(res.stoppedBy).toBe('done');
    expect(res.steps).toBe(40);
    expect(res.losses[39]).toBeLessThan(res.losses[0] * 0.2);
    expect(seen.map((p) => p.step)).toEqual([10, 20, 30, 40]);
    expect(seen[0].losses[l1]).toBeGreaterThan(0);
    expect(seen[1].epoch).toBe(1);
    expect(seen[1].etaSeconds).not.toBeNull();
    await trainer.release();
  });

  it('a run cancelled mid-way and resumed from its checkpoint ends with the same weights as an uninterrupted one', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ds-loop-'));
    const lr = cosineSchedule(0.05, 25, { warmup: 3 });
    const full = await makeTrainer();
    await runTrainingLoop({ trainer: full.trainer, forward: full.model, totalSteps: 25, stepsPerEpoch: 10, batchImages: 8, makeBatch: batchOf, lr });
    const want = Float32Array.from(full.trainer.stateTensors().get('w')!.data as Float32Array);

    const ctl = new AbortController();
    const first = await makeTrainer();
    const file = path.join(dir, 'ck.onnx');
    const r1 = await runTrainingLoop({
      trainer: first.trainer, forward: first.model, totalSteps: 25, stepsPerEpoch: 10, batchImages: 8, lr, checkpointFile: file, signal: ctl.signal,
      makeBatch: (s) => {
        if (s === 13) ctl.abort();
        return batchOf(s);
      },
    });
    expect(r1.stoppedBy).toBe('cancelled');
    expect(r1.steps).toBe(14);
    const second = await makeTrainer(); // a fresh process would start here
    const r2 = await runTrainingLoop({ trainer: second.trainer, forward: second.model, totalSteps: 25, stepsPerEpoch: 10, batchImages: 8, makeBatch: batchOf, lr, checkpointFile: file, resume: true });
    expect(r2.startStep).toBe(14);
    expect(r2.steps).toBe(25);
    const got = second.trainer.stateTensors().get('w')!.data as Float32Array;
    for (let i = 0; i < 4; i++) expect(got[i]).toBeCloseTo(want[i], 6);
  });

  it('stops at the time budget and rejects a diverging loss with a clear message', async () => {
    const { trainer, model } = await makeTrainer();
    const res = await runTrainingLoop({ trainer, forward: model, totalSteps: 1e6, stepsPerEpoch: 100, batchImages: 8, makeBatch: batchOf, lr: () => 0.01, budgetSeconds: 0.3 });
    expect(res.stoppedBy).toBe('budget');
    expect(res.steps).toBeGreaterThan(0);
    await expect(
      runTrainingLoop({ trainer, forward: model, totalSteps: res.steps + 5, stepsPerEpoch: 100, batchImages: 8, makeBatch: batchOf, lr: () => Number.NaN }),
    ).rejects.toThrow(/diverged/);
  });

  it('cosineSchedule warms up linearly then decays to the floor', () => {
    const s = cosineSchedule(1, 110, { warmup: 10, floor: 0.1 });
    expect(s(0)).toBeCloseTo(0.1);
    expect(s(9)).toBeCloseTo(1);
    expect(s(10)).toBeCloseTo(1);
    expect(s(60)).toBeCloseTo(0.55);
    expect(s(110)).toBeCloseTo(0.1);
  });
});
