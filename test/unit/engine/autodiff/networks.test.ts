import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildBackward } from '../../../../src/main/engine/autodiff/backward.js';
import { probeShapes, randomFeeds } from '../../../../src/main/engine/autodiff/shapes.js';
import { onnx, serializeModel, tensorToArray, type ModelProto } from '../../../../src/main/engine/onnx/proto.js';
import { Rng } from '../../../../src/main/engine/rng.js';
import { resnet18, smallUnet, type ZooModel } from '../../../../src/main/engine/zoo/index.js';

/**
 * Whole networks: the composed gradient of a few parameters checked against a central difference along a random
 * direction (float32 end to end, so tolerance 3e-2 relative; the per-op checks are in the family tests).
 * The step is 10% of the parameter's RMS: smaller steps drown in float32 rounding, and ReLU/max-pool kinks make
 * these random-init losses rough at small scales (element-wise checks of layer1.0.1.bn.weight with h = 1e-3,
 * 1e-2, 5e-2 gave numeric derivatives differing by 30% from each other, around the analytic value).
 */
async function directionalCheck(z: ZooModel, names: string[], seed: number): Promise<void> {
  const rng = new Rng(seed);
  const feeds = randomFeeds(z.model, rng);
  const back = buildBackward(z.model, z.loss, names, { shapes: await probeShapes(z.model, feeds) });
  const grads = await (await ort.InferenceSession.create(serializeModel(back))).run(feeds);
  const inits = new Map(z.model.graph!.initializer!.map((t) => [t.name!, tensorToArray(t).data as Float32Array]));
  const withParam = (name: string, data: Float32Array): ModelProto =>
    onnx.ModelProto.create({
      ...z.model,
      graph: onnx.GraphProto.create({
        ...z.model.graph!,
        initializer: z.model.graph!.initializer!.map((t) => (t.name === name ? { ...t, rawData: new Uint8Array(data.buffer.slice(0)) } : t)),
      }),
    });
  for (const name of names) {
    const w = inits.get(name)!;
    const v = Float32Array.from({ length: w.length }, () => rng.normal());
    const norm = Math.sqrt(v.reduce((a, b) => a + b * b, 0));
    const h = 1e-1 * Math.sqrt(w.reduce((a, b) => a + b * b, 0) / w.length + 1e-4);
    const lossAt = async (sign: number): Promise<number> => {
      const moved = Float32Array.from(w, (x, i) => x + (sign * h * v[i]) / norm);
      const s = await ort.InferenceSession.create(serializeModel(withParam(name, moved)), { graphOptimizationLevel: 'disabled' });
      const r = await s.run(feeds);
      await s.release();
      return Number((r[z.loss].data as Float32Array)[0]);
    };
    const numeric = ((await lossAt(1)) - (await lossAt(-1))) / (2 * h);
    const g = grads[`grad.${name}`].data as Float32Array;
    const analytic = g.reduce((a, x, i) => a + x * (v[i] / norm), 0);
    const rel = Math.abs(numeric - analytic) / Math.max(Math.abs(analytic), 1e-3);
    expect(rel, `${name}: numeric ${numeric} analytic ${analytic} (seed ${seed})`).toBeLessThan(3e-2);
  }
}

describe('gradients of whole networks (directional finite differences)', () => {
  it('resnet18 (BN training, residual fan-in, max-pool, cross-entropy)', () =>
    directionalCheck(resnet18({ batch: 2, size: 64, classes: 10, seed: 1 }), ['stem.conv.weight', 'layer3.0.downsample.conv.weight', 'layer4.1.bn2.weight', 'fc.weight'], 5));
  it('smallUnet (ConvTranspose, bilinear Resize, concat skips, MSE)', () =>
    directionalCheck(smallUnet({ batch: 2, size: 32, seed: 2 }), ['enc1.a.conv.weight', 'up3.weight', 'dec2.b.bn.bias', 'head.weight'], 6));
});
