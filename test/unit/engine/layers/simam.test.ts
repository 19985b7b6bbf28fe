import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { simam } from '../../../../src/main/engine/layers/simam.js';
import { GraphBuilder } from '../../../../src/main/engine/onnx/graph.js';
import { serializeModel } from '../../../../src/main/engine/onnx/proto.js';

async function runSimam(x: Float32Array, dims: number[]): Promise<Float32Array> {
  const g = new GraphBuilder('t');
  const input = g.input('x', 'float32', ['N', 'C', 'H', 'W']);
  g.node('Identity', [simam(g, input)], {}, { outputs: ['y'] });
  g.output('y', 'float32');
  const s = await ort.InferenceSession.create(serializeModel(g.build()));
  const r = await s.run({ x: new ort.Tensor('float32', x, dims) });
  await s.release();
  return r.y.data as Float32Array;
}

describe('SimAM', () => {
  it('matches a hand-computed 1 x 1 x 2 x 2 example', async () => {
    // By hand: x = [0, 1, 2, 3], μ = 1.5, d = [2.25, 0.25, 0.25, 2.25], v = Σd / (4 − 1) = 5/3,
    // e = d / (4 (5/3 + 1e-4)) + 0.5 = [0.83748, 0.53750, 0.53750, 0.83748],
    // sigmoid(e) = [0.69793, 0.63123, 0.63123, 0.69793], y = x · sigmoid(e):
    const want = [0, 0.631230, 1.262460, 2.093802];
    const y = await runSimam(Float32Array.of(0, 1, 2, 3), [1, 1, 2, 2]);
    for (let i = 0; i < 4; i++) expect(y[i]).toBeCloseTo(want[i], 5);
  });

  it('normalises each channel on its own statistics (a second channel does not change the first)', async () => {
    const first = Float32Array.of(0, 1, 2, 3, 5, 1);
    const alone = await runSimam(first, [1, 1, 2, 3]);
    const both = await runSimam(Float32Array.of(...first, 100, -7, 3, 0, 0, 42), [1, 2, 2, 3]);
    for (let i = 0; i < 6; i++) expect(both[i]).toBeCloseTo(alone[i], 5);
  });
});
