/**
 * BatchNorm recalibration (recalibrate.ts): the re-estimated statistics are the ones of the data it was given,
 * checked against a direct computation of the first conv in JS, and photometric standardisation makes them
 * independent of each image's exposure.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/main/engine/rng.js';
import { serializeModel } from '../../../../src/main/engine/onnx/proto.js';
import type { SourceImage } from '../../../../src/main/models/core/augment.js';
import { buildCoreBackbone, CORE_NORMALISATION } from '../../../../src/main/models/core/network.js';
import { imageTensor, recalibrateBatchNorm, weightsOf } from '../../../../src/main/models/core/recalibrate.js';

function source(w: number, h: number, seed: number, gain = 1, offset = 0): SourceImage {
  const r = new Rng(seed);
  const data = Uint8Array.from({ length: w * h * 3 }, () => Math.round(Math.min(255, Math.max(0, (40 + r.next() * 120) * gain + offset))));
  return { file: `img${seed}.png`, width: w, height: h, data };
}

/** Per-channel mean and variance of stem.1's 3x3/2 conv (pad 1, no bias) over one image, computed in JS. */
function stemStats(x: Float32Array, H: number, W: number, w: Float32Array): { mean: number[]; variance: number[] } {
  const oh = H / 2;
  const ow = W / 2;
  const mean: number[] = [];
  const variance: number[] = [];
  const norm = (c: number, v: number) => (v - CORE_NORMALISATION.mean[c]) / CORE_NORMALISATION.std[c];
  for (let o = 0; o < 32; o++) {
    const vals: number[] = [];
    for (let y = 0; y < oh; y++) {
      for (let xx = 0; xx < ow; xx++) {
        let s = 0;
        for (let c = 0; c < 3; c++) {
          for (let ky = 0; ky < 3; ky++) {
            for (let kx = 0; kx < 3; kx++) {
              const iy = 2 * y + ky - 1;
              const ix = 2 * xx + kx - 1;
              if (iy < 0 || ix < 0 || iy >= H || ix >= W) continue;
              s += w[((o * 3 + c) * 3 + ky) * 3 + kx] * norm(c, x[c * H * W + iy * W + ix]);
            }
          }
        }
        vals.push(s);
      }
    }
    const m = vals.reduce((a, b) => a + b, 0) / vals.length;
    mean.push(m);
    variance.push(vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length);
  }
  return { mean, variance };
}

describe('CoRe BatchNorm recalibration', () => {
  const initial = weightsOf(buildCoreBackbone(new Map(), { name: 't', provenance: 't' }, 3).model);

  it('sets the first BN to the statistics of its conv output on the given image', async () => {
    const img = source(32, 48, 1);
    const w = await recalibrateBatchNorm(initial, [img], { photometric: false });
    const x = imageTensor(img, 16, false);
    const [, , H, W] = x.dims;
    const want = stemStats(x.data as Float32Array, H, W, initial.get('stem.1.conv.weight')!.data as Float32Array);
    const mean = w.get('stem.1.bn.running_mean')!.data as Float32Array;
    const variance = w.get('stem.1.bn.running_var')!.data as Float32Array;
    for (let c = 0; c < 32; c++) {
      expect(mean[c]).toBeCloseTo(want.mean[c], 3);
      expect(variance[c] / want.variance[c]).toBeCloseTo(1, 3);
    }
    // Deeper layers were measured too (initial values are 0 and 1).
    const l3 = w.get('layer3.bn2.running_var')!.data as Float32Array;
    expect(Array.from(l3).every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    expect(Array.from(l3).some((v) => Math.abs(v - 1) > 1e-3)).toBe(true);
  });

  it('with photometric standardisation, a darker low-contrast copy of the images gives the same statistics', async () => {
    const imgs = [source(32, 32, 2), source(48, 32, 3)];
    const dim = imgs.map((s) => ({ ...s, data: Uint8Array.from(s.data, (v) => Math.round(v * 0.5) + 10) }));
    const a = await recalibrateBatchNorm(initial, imgs);
    const b = await recalibrateBatchNorm(initial, dim);
    const raw = await recalibrateBatchNorm(initial, dim, { photometric: false });
    const get = (w: typeof a, k: string) => Array.from(w.get(k)!.data as Float32Array);
    for (const k of ['stem.1.bn.running_mean', 'layer2.bn2.running_var']) {
      get(a, k).forEach((v, i) => expect(get(b, k)[i]).toBeCloseTo(v, 1));
    }
    expect(get(raw, 'stem.1.bn.running_mean')).not.toEqual(get(a, 'stem.1.bn.running_mean'));
    // The recalibrated backbone runs in inference mode: its first-block activations are centred on this data.
    const bb = buildCoreBackbone(a, { name: 't', provenance: 't' }, 3);
    const s = await ort.InferenceSession.create(serializeModel(bb.model));
    const r = await s.run({ image: imageTensor(imgs[0], 16, true) });
    expect(Array.from(r.layer3.data as Float32Array).every(Number.isFinite)).toBe(true);
    await s.release();
  });
});
