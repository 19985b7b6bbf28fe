import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../src/main/engine/onnx/graph.js';
import { serializeModel } from '../../../src/main/engine/onnx/proto.js';
import { nearestDistance } from '../../../src/main/models/patchcore/network.js';
import { openSession, ort } from '../../../src/main/models/session.js';

async function distances(features: Float32Array, C: number, h: number, w: number, bank: Float32Array, projection?: { matrix: Float32Array; dim: number }): Promise<Float32Array> {
  const g = new GraphBuilder('t');
  const f = g.input('f', 'float32', [1, C, h, w]);
  g.node('Identity', [nearestDistance(g, f, bank, C, projection)], {}, { outputs: ['d'] });
  g.output('d', 'float32', [1, 1, h, w]);
  const { session } = await openSession(serializeModel(g.build()), 'test');
  try {
    return (await session.run({ f: new ort.Tensor('float32', features, [1, C, h, w]) })).d.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('nearest bank distance', () => {
  // Two patches (w = 2), C = 3, NCHW: patch 0 = (0,0,0), patch 1 = (3,4,0). Bank rows: (0,0,1), (3,4,0).
  const features = Float32Array.from([0, 3, 0, 4, 0, 0]);
  const bank = Float32Array.from([0, 0, 1, 3, 4, 0]);
  it('is the Euclidean distance to the nearest row', async () => {
    const d = await distances(features, 3, 1, 2, bank);
    expect(d[0]).toBeCloseTo(1, 5);
    expect(d[1]).toBeCloseTo(0, 2);
  });
  it('with a projection, compares projected patches with the projected bank', async () => {
    // Projection onto the first two axes: patch 0 -> (0,0), bank row 0 -> (0,0): distance 0.
    const matrix = Float32Array.from([1, 0, 0, 1, 0, 0]);
    const projected = Float32Array.from([0, 0, 3, 4]);
    const d = await distances(features, 3, 1, 2, projected, { matrix, dim: 2 });
    expect(d[0]).toBeCloseTo(0, 2);
    expect(d[1]).toBeCloseTo(0, 2);
  });
});
