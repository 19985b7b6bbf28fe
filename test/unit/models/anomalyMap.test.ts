import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../src/main/engine/onnx/graph.js';
import { serializeModel } from '../../../src/main/engine/onnx/proto.js';
import { anomalyMapAndScore } from '../../../src/main/models/patchcore/anomalyMap.js';
import { openSession, ort } from '../../../src/main/models/session.js';

/** Runs patch scores [1,1,h,w] through the map/score graph (no blur) for an image of H x W. */
async function score(patch: number[], h: number, w: number, H: number, W: number, topFraction: number): Promise<number> {
  const g = new GraphBuilder('t');
  const p = g.input('patch', 'float32', [1, 1, h, w]);
  const img = g.input('image', 'uint8', [1, 3, 'H', 'W']);
  const { score } = anomalyMapAndScore(g, p, img, 0, topFraction);
  g.node('Identity', [score], {}, { outputs: ['score'] });
  g.output('score', 'float32', [1]);
  const { session } = await openSession(serializeModel(g.build()), 'test');
  try {
    const out = await session.run({ patch: new ort.Tensor('float32', Float32Array.from(patch), [1, 1, h, w]), image: new ort.Tensor('uint8', new Uint8Array(3 * H * W), [1, 3, H, W]) });
    return (out.score.data as Float32Array)[0];
  } finally {
    await session.release();
  }
}

describe('PatchCore image score', () => {
  // Same-size map (no resampling): 4 x 4 patch scores 1..16.
  const patch = Array.from({ length: 16 }, (_, i) => i + 1);
  it('is the map maximum by default', async () => {
    expect(await score(patch, 4, 4, 4, 4, 0)).toBeCloseTo(16, 5);
  });
  it('is the mean of the top fraction of pixels, k = floor(fraction x H x W), at least 1', async () => {
    expect(await score(patch, 4, 4, 4, 4, 0.25)).toBeCloseTo((16 + 15 + 14 + 13) / 4, 5);
    expect(await score(patch, 4, 4, 4, 4, 0.01)).toBeCloseTo(16, 5);
  });
});
