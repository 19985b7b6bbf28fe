import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../src/main/engine/onnx/graph.js';
import { serializeModel } from '../../../src/main/engine/onnx/proto.js';
import { anomalyMapAndScore, gaussianKernel } from '../../../src/main/models/patchcore/anomalyMap.js';
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

/** The reference form: ORT's Resize to the image's size, then the edge-padded separable Gaussian as two Convs. */
function resizeThenBlur(g: GraphBuilder, e: string, H: number, W: number, sigma: number): string {
  const resized = g.op('Resize', [e, '', '', g.constInt64([2, 1, H, W])], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
  if (sigma === 0) return resized;
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const padded = g.op('Pad', [resized, g.constInt64([0, 0, r, r, 0, 0, r, r])], { mode: 'edge' });
  const h = g.op('Conv', [padded, g.initializer('ref_x', 'float32', [1, 1, 1, k.length], k)], { kernel_shape: [1, k.length] });
  return g.op('Conv', [h, g.initializer('ref_y', 'float32', [1, 1, k.length, 1], k)], { kernel_shape: [k.length, 1] });
}

describe('anomaly map', () => {
  it('equals Resize + edge-padded Gaussian blur at full size, on a non-square map and input', async () => {
    let seed = 7;
    const uniform = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 3;
    // σ 12: a radius (48) beyond the 40-pixel side, so the edge padding is exercised across the whole axis.
    for (const sigma of [4, 12, 0]) {
      const g = new GraphBuilder('smooth');
      const e = g.input('e', 'float32', [2, 1, 5, 7]);
      const image = g.input('image', 'uint8', [2, 3, 40, 56]);
      g.node('Identity', [anomalyMapAndScore(g, e, image, sigma).map], {}, { outputs: ['map'] });
      g.node('Identity', [resizeThenBlur(g, e, 40, 56, sigma)], {}, { outputs: ['ref'] });
      g.output('map', 'float32');
      g.output('ref', 'float32');
      const { session } = await openSession(serializeModel(g.build()), 'test');
      try {
        const out = await session.run({
          e: new ort.Tensor('float32', Float32Array.from({ length: 70 }, uniform), [2, 1, 5, 7]),
          image: new ort.Tensor('uint8', new Uint8Array(2 * 3 * 40 * 56), [2, 3, 40, 56]),
        });
        expect(out.map.dims).toEqual([2, 1, 40, 56]);
        const ref = out.ref.data as Float32Array;
        const map = out.map.data as Float32Array;
        expect(Math.max(...map.map((v, i) => Math.abs(v - ref[i])))).toBeLessThan(1e-5);
        expect(Math.max(...ref) - Math.min(...ref)).toBeGreaterThan(sigma === 12 ? 0.05 : 0.5); // a real map, not a constant
      } finally {
        await session.release();
      }
    }
  });
});
