import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { probeShapes } from '../../../../src/main/engine/autodiff/shapes.js';
import { GraphBuilder } from '../../../../src/main/engine/onnx/graph.js';
import { tensorToArray } from '../../../../src/main/engine/onnx/proto.js';
import { loadTrainingModel, saveTrainingModel } from '../../../../src/main/engine/optim/trainingFile.js';
import { buildTrainingModel, type TrainingModel } from '../../../../src/main/engine/optim/trainingGraph.js';
import { Trainer } from '../../../../src/main/engine/runtime/trainer.js';

const CPU = { provider: 'cpu' as const, skipped: [] };

// y = (x @ w + b) * scale, with `scale` frozen: it stays an initializer of the saved graph (a constant whose
// raw bytes the loader copies out of the file buffer).
async function build(): Promise<{ tm: TrainingModel; feeds: Record<string, ort.Tensor> }> {
  const g = new GraphBuilder('tiny');
  const x = g.input('x', 'float32', [4, 3]);
  const target = g.input('target', 'float32', [4, 2]);
  const w = g.initializer('w', 'float32', [3, 2], Float32Array.from([0.1, -0.2, 0.3, 0.4, -0.5, 0.6]));
  const b = g.initializer('b', 'float32', [2], Float32Array.from([0.05, -0.05]));
  const scale = g.initializer('scale', 'float32', [2], Float32Array.from([1.5, 0.5]));
  const y = g.op('Mul', [g.op('Add', [g.op('MatMul', [x, w]), b]), scale]);
  const d = g.op('Sub', [y, target]);
  const loss = g.op('ReduceMean', [g.op('Mul', [d, d])], { keepdims: 0 });
  g.output(loss, 'float32', []);
  const model = g.build();
  const feeds = {
    x: new ort.Tensor('float32', Float32Array.from({ length: 12 }, (_, i) => Math.cos(i)), [4, 3]),
    target: new ort.Tensor('float32', Float32Array.from({ length: 8 }, (_, i) => (i % 3) - 1), [4, 2]),
  };
  const tm = buildTrainingModel(model, { loss, optimizer: { kind: 'adam' }, shapes: await probeShapes(model, feeds), frozen: ['scale'] });
  return { tm, feeds };
}

describe('training model files', () => {
  it('round-trip: same state, same constants, same training as the in-memory model', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'trainfile-'));
    try {
      const { tm, feeds } = await build();
      const file = path.join(dir, 'tiny.train.onnx');
      await saveTrainingModel(file, tm);
      const loaded = await loadTrainingModel(file);
      expect(loaded.state.map((s) => [s.input, s.output, s.kind])).toEqual(tm.state.map((s) => [s.input, s.output, s.kind]));
      tm.state.forEach((s, i) => expect(Array.from(loaded.state[i].initial as Float32Array)).toEqual(Array.from(s.initial as Float32Array)));
      const scale = loaded.model.graph!.initializer!.find((t) => t.name === 'scale')!;
      expect(Array.from(tensorToArray(scale).data as Float32Array)).toEqual([1.5, 0.5]);

      // Trainers take ownership of `initial`, so each gets its own model (the loaded one and a fresh build).
      const a = await Trainer.create((await build()).tm, { provider: CPU, threads: 1 });
      const b = await Trainer.create(loaded, { provider: CPU, threads: 1 });
      for (let i = 0; i < 3; i++) expect(await b.trainStep(feeds, 0.1)).toBe(await a.trainStep(feeds, 0.1));
      expect(Array.from(b.stateTensors().get('w')!.data as Float32Array)).toEqual(Array.from(a.stateTensors().get('w')!.data as Float32Array));
      await a.release();
      await b.release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
