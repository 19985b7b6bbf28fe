import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeModel } from '../../../src/main/engine/onnx/proto.js';
import { fuseBackbones } from '../../../src/main/models/backbones/fuse.js';
import { backboneBytes, resolveBackbone } from '../../../src/main/models/backbones/index.js';
import type { Backbone } from '../../../src/main/models/backbones/types.js';
import { defaultParams, trainParams } from '../../../src/main/models/patchcore/index.js';
import { openSession, ort } from '../../../src/main/models/session.js';

async function features(model: Parameters<typeof serializeModel>[0], x: Float32Array, H: number, W: number) {
  const { session } = await openSession(serializeModel(model), 'test');
  try {
    return await session.run({ image: new ort.Tensor('float32', x, [1, 3, H, W]) });
  } finally {
    await session.release();
  }
}

describe('fused backbone (ImageNet + CoRe levels for PatchCore)', () => {
  it('outputs every part\'s features unchanged, later parts\' names prefixed with their index', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fuse-'));
    try {
      // Two different ResNets stand in for the ImageNet and the CoRe backbone: equal names, different weights.
      const second = resolveBackbone('resnet', 3);
      const file = path.join(dir, 'second.onnx');
      writeFileSync(file, backboneBytes(second));
      const fused = resolveBackbone(`resnet+${file}`, 0);
      expect(fused.features.map((f) => f.name)).toEqual(['layer1', 'layer2', 'layer3', '2:layer1', '2:layer2', '2:layer3']);
      const [H, W] = [32, 48];
      const x = new Float32Array(3 * H * W).map((_, i) => ((i * 37) % 101) / 100);
      const out = await features(fused.model, x, H, W);
      const first = await features(resolveBackbone('resnet', 0).model, x, H, W);
      const other = await features(second.model, x, H, W);
      expect(Array.from(out.layer3.data as Float32Array)).toEqual(Array.from(first.layer3.data as Float32Array));
      expect(Array.from(out['2:layer2'].data as Float32Array)).toEqual(Array.from(other.layer2.data as Float32Array));
      expect(Array.from(out['2:layer2'].data as Float32Array)).not.toEqual(Array.from(out.layer2.data as Float32Array));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PatchCore defaults take each part\'s default levels and neighbourhoods, scaled with --image-size', () => {
    const fused = resolveBackbone('mobilenetv2+resnet', 0);
    const p = defaultParams(fused);
    expect(p.levels).toEqual(['block_5', 'block_9', '2:layer2', '2:layer3']);
    expect(p.aggregate).toEqual([9, 13, 9, 13]);
    expect(trainParams({ imageSize: 128 }, fused).aggregate).toEqual([5, 7, 5, 7]);
    // A single backbone keeps its defaults.
    expect(defaultParams(resolveBackbone('mobilenetv2')).levels).toEqual(['block_5', 'block_9']);
    expect(defaultParams(resolveBackbone('mobilenetv2')).aggregate).toEqual([9, 13]);
  });

  it('a part with one level keeps the next part\'s neighbourhoods in step', () => {
    const resnet = resolveBackbone('resnet', 0);
    const oneLevel: Backbone = { ...resnet, features: resnet.features.filter((f) => f.name === 'layer2') };
    const p = defaultParams(fuseBackbones([oneLevel, resolveBackbone('mobilenetv2')]));
    expect(p.levels).toEqual(['layer2', '2:block_5', '2:block_9']);
    expect(p.aggregate).toEqual([9, 9, 13]);
  });

  it('names every part\'s normalisation, gives each part its own seed, caps the parts and names the whole request', async () => {
    const fused = resolveBackbone('mobilenetv2+resnet', 0);
    expect(fused.parts?.map((p) => p.name)).toEqual([resolveBackbone('mobilenetv2').name, resolveBackbone('resnet').name]);
    expect(fused.parts?.[1].normalisation).toEqual(resolveBackbone('resnet').normalisation);
    const twin = resolveBackbone('resnet+resnet', 0);
    const [H, W] = [32, 32];
    const x = new Float32Array(3 * H * W).map((_, i) => ((i * 13) % 29) / 28);
    const out = await features(twin.model, x, H, W);
    expect(Array.from(out['2:layer2'].data as Float32Array)).not.toEqual(Array.from(out.layer2.data as Float32Array));
    expect(() => resolveBackbone('resnet+resnet+resnet+resnet+resnet')).toThrow(/2 to 4 parts/);
    expect(() => resolveBackbone('/no/such+dir/backbone.onnx')).toThrow(/"\/no\/such\+dir\/backbone\.onnx".*part "\/no\/such"/);
  });
});
