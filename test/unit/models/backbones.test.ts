import { describe, expect, it } from 'vitest';
import { serializeModel } from '../../../src/main/engine/onnx/proto.js';
import { resolveBackbone } from '../../../src/main/models/backbones/index.js';
import { openSession, ort } from '../../../src/main/models/session.js';

async function runFeatures(name: string, H: number, W: number) {
  const b = resolveBackbone(name, 7);
  const { session } = await openSession(serializeModel(b.model), name);
  const x = new Float32Array(3 * H * W).map((_, i) => ((i * 37) % 101) / 100);
  const out = await session.run({ image: new ort.Tensor('float32', x, [1, 3, H, W]) });
  await session.release();
  return { b, out };
}

describe('backbones', () => {
  for (const name of ['mobilenetv2', 'resnet']) {
    it(`${name}: every declared feature exists with its declared channels and stride`, async () => {
      const H = 64;
      const W = 96;
      const { b, out } = await runFeatures(name, H, W);
      expect(b.features.length).toBeGreaterThanOrEqual(2);
      for (const f of b.features) {
        expect(out[f.name].dims).toEqual([1, f.channels, H / f.stride, W / f.stride]);
        const v = out[f.name].data as Float32Array;
        expect(v.every(Number.isFinite)).toBe(true);
      }
    });
  }

  it('MobileNetV2 block_10_expand is the ReLU6 expansion at stride 16 (384 channels), block_10 stays the last feature', async () => {
    const { b, out } = await runFeatures('mobilenetv2', 64, 96);
    expect(b.features.find((f) => f.name === 'block_10_expand')).toEqual({ name: 'block_10_expand', stride: 16, channels: 384 });
    expect(b.features.at(-1)!.name).toBe('block_10');
    const v = out.block_10_expand.data as Float32Array;
    // After ReLU6: inside [0, 6] with exact zeros; the projection (block_10) is linear and goes negative.
    expect(Math.min(...v)).toBe(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(6);
    expect(Math.min(...(out.block_10.data as Float32Array))).toBeLessThan(0);
  });

  it('the random ResNet is deterministic per seed and differs across seeds', () => {
    const w = (seed: number) => resolveBackbone('resnet', seed).model.graph!.initializer!.find((t) => t.name === 'stem.conv1.weight')!.rawData!;
    expect(Buffer.from(w(1)).equals(Buffer.from(w(1)))).toBe(true);
    expect(Buffer.from(w(1)).equals(Buffer.from(w(2)))).toBe(false);
  });

  it('MobileNetV2 keeps ImageNet provenance and [-1, 1] input scaling in its metadata', () => {
    const b = resolveBackbone('mobilenetv2');
    expect(b.provenance).toMatch(/nsfwjs 4\.4\.0 \(MIT\)/);
    expect(b.normalisation).toEqual({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  });

  it('rejects an unknown backbone name with the choices', () => {
    expect(() => resolveBackbone('vgg')).toThrow(/Unknown backbone "vgg": use mobilenetv2 or resnet/);
  });
});
