import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../src/main/engine/onnx/graph.js';
import { serializeModel } from '../../../src/main/engine/onnx/proto.js';
import { embedBackbone } from '../../../src/main/models/backbones/embed.js';
import { resolveBackbone } from '../../../src/main/models/backbones/index.js';
import { nearestDistance, patchFeatures } from '../../../src/main/models/patchcore/network.js';
import { openSession, ort } from '../../../src/main/models/session.js';

async function runGraph(g: GraphBuilder, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const { session } = await openSession(serializeModel(g.build()), 'test');
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('PatchCore with three feature levels', () => {
  it('concatenates all levels on the first level\'s grid; a finer level is averaged over 2 x 2 cells', async () => {
    const backbone = resolveBackbone('resnet', 0); // layer1 stride 4 (64 ch), layer2 stride 8 (128), layer3 stride 16 (256)
    const [H, W] = [64, 96];
    const image = new Float32Array(3 * H * W).map((_, i) => ((i * 7919) % 255) / 255);
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', [1, 3, H, W]);
    g.node('Identity', [patchFeatures(g, backbone, x, { levels: ['layer2', 'layer1', 'layer3'], aggregate: [3, 1, 3] })], {}, { outputs: ['out'] });
    g.node('Identity', [embedBackbone(g, backbone, x, ['layer1'], 'raw/').layer1], {}, { outputs: ['raw'] });
    g.output('out', 'float32', [1, 'C', 'h', 'w']);
    g.output('raw', 'float32', [1, 64, 'h4', 'w4']);
    const { out, raw } = await runGraph(g, { x: new ort.Tensor('float32', image, [1, 3, H, W]) });
    const [h, w] = [H / 8, W / 8];
    expect(out.dims).toEqual([1, 128 + 64 + 256, h, w]);
    // Channels 128..191 are layer1 (aggregate 1 = as is) resized from the stride-4 grid to stride 8.
    const o = out.data as Float32Array;
    const r = raw.data as Float32Array;
    let err = 0;
    for (const c of [0, 17, 63])
      for (let y = 0; y < h; y++)
        for (let xx = 0; xx < w; xx++) {
          const at = (yy: number, xq: number) => r[(c * 2 * h + yy) * 2 * w + xq];
          const mean = (at(2 * y, 2 * xx) + at(2 * y, 2 * xx + 1) + at(2 * y + 1, 2 * xx) + at(2 * y + 1, 2 * xx + 1)) / 4;
          err = Math.max(err, Math.abs(o[((128 + c) * h + y) * w + xx] - mean));
        }
    expect(err).toBeLessThan(1e-4);
  });
});

describe('PatchCore k-nearest patch score', () => {
  it('is the mean of the k smallest Euclidean distances to the bank rows (k = 1: the nearest)', async () => {
    const C = 4;
    const [h, w] = [2, 3];
    const M = 7;
    const feats = Float32Array.from({ length: C * h * w }, (_, i) => Math.sin(i * 1.7) * 2);
    const bank = Float32Array.from({ length: M * C }, (_, i) => Math.cos(i * 0.9) * 2);
    const expected = (k: number) =>
      Array.from({ length: h * w }, (_, p) => {
        const d = Array.from({ length: M }, (_, m) => Math.sqrt(Array.from({ length: C }, (_, c) => (feats[c * h * w + p] - bank[m * C + c]) ** 2).reduce((a, b) => a + b, 0)));
        d.sort((a, b) => a - b);
        return d.slice(0, k).reduce((a, b) => a + b, 0) / k;
      });
    for (const k of [1, 3]) {
      const g = new GraphBuilder('t');
      const f = g.input('f', 'float32', [1, C, h, w]);
      g.node('Identity', [nearestDistance(g, f, bank, C, undefined, k)], {}, { outputs: ['d'] });
      g.output('d', 'float32', [1, 1, h, w]);
      const d = (await runGraph(g, { f: new ort.Tensor('float32', feats, [1, C, h, w]) })).d.data as Float32Array;
      const e = expected(k);
      for (let p = 0; p < h * w; p++) expect(d[p]).toBeCloseTo(e[p], 4);
    }
  });
});
