import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildBackward } from '../../../../src/main/engine/autodiff/backward.js';
import { probeShapes } from '../../../../src/main/engine/autodiff/shapes.js';
import { focalLoss, probabilityL1Loss, type SegLossOptions } from '../../../../src/main/engine/layers/segLoss.js';
import { GraphBuilder } from '../../../../src/main/engine/onnx/graph.js';
import { serializeModel } from '../../../../src/main/engine/onnx/proto.js';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** The focal loss written out in float64 from the paper's definition: −α_t (1 − p_t)^γ log p_t. */
function focalReference(z: number[], y: number[], o: SegLossOptions): number {
  let sum = 0;
  for (let i = 0; i < z.length; i++) {
    const p = sigmoid(z[i]);
    const pt = y[i] * p + (1 - y[i]) * (1 - p);
    const alphaT = o.alpha === undefined ? 1 : y[i] * o.alpha + (1 - y[i]) * (1 - o.alpha);
    // soft targets: cross-entropy −y log p − (1 − y) log(1 − p) instead of −log p_t
    const ce = -y[i] * Math.log(p) - (1 - y[i]) * Math.log(1 - p);
    sum += alphaT * (1 - pt) ** (o.gamma ?? 2) * ce;
  }
  return sum / z.length;
}

async function lossAndGrad(kind: 'focal' | 'l1', z: number[], y: number[], o: SegLossOptions = {}): Promise<{ loss: number; grad: number[] }> {
  const dims = [1, 1, 2, z.length / 2];
  const g = new GraphBuilder('t');
  const logits = g.input('z', 'float32', dims);
  const target = g.input('y', 'float32', dims);
  const loss = kind === 'focal' ? focalLoss(g, logits, target, o) : probabilityL1Loss(g, logits, target);
  g.output(loss, 'float32', []);
  const feeds = { z: new ort.Tensor('float32', Float32Array.from(z), dims), y: new ort.Tensor('float32', Float32Array.from(y), dims) };
  const model = g.build();
  const back = buildBackward(model, loss, ['z'], { shapes: await probeShapes(model, feeds) });
  const s = await ort.InferenceSession.create(serializeModel(back));
  const out = await s.run(feeds);
  await s.release();
  return { loss: (out[loss].data as Float32Array)[0], grad: Array.from(out['grad.z'].data as Float32Array) };
}

const Z = [-3.2, -0.7, 0.1, 2.5, 8, -12, 0.9, -1.6];
const Y = [0, 1, 0, 1, 1, 0, 0.5, 1];

describe('segmentation losses', () => {
  for (const o of [{ gamma: 2 }, { gamma: 0 }, { gamma: 1.5, alpha: 0.75 }] as SegLossOptions[]) {
    it(`focal loss ${JSON.stringify(o)} matches the definition, value and gradient`, async () => {
      const { loss, grad } = await lossAndGrad('focal', Z, Y, o);
      expect(loss).toBeCloseTo(focalReference(Z, Y, o), 5);
      const h = 1e-5;
      for (let i = 0; i < Z.length; i++) {
        const up = Z.map((v, j) => (j === i ? v + h : v));
        const down = Z.map((v, j) => (j === i ? v - h : v));
        const numeric = (focalReference(up, Y, o) - focalReference(down, Y, o)) / (2 * h);
        expect(grad[i]).toBeCloseTo(numeric, 5);
      }
    });
  }

  it('focal loss with γ 2 weighs an easy background pixel far less than cross-entropy does', async () => {
    const easy = (await lossAndGrad('focal', [-4, -4], [0, 0])).loss;
    const easyCe = (await lossAndGrad('focal', [-4, -4], [0, 0], { gamma: 0 })).loss;
    expect(easy).toBeLessThan(easyCe * 0.001);
  });

  it('L1 of the probabilities: value and gradient', async () => {
    const { loss, grad } = await lossAndGrad('l1', Z, Y);
    const want = Z.reduce((s, z, i) => s + Math.abs(sigmoid(z) - Y[i]), 0) / Z.length;
    expect(loss).toBeCloseTo(want, 6);
    for (let i = 0; i < Z.length; i++) {
      const p = sigmoid(Z[i]);
      expect(grad[i]).toBeCloseTo((Math.sign(p - Y[i]) * p * (1 - p)) / Z.length, 6);
    }
  });
});
