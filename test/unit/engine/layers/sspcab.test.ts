import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Net } from '../../../../src/main/engine/layers/index.js';
import { maskedConv, sspcab, sspcabMask } from '../../../../src/main/engine/layers/sspcab.js';
import { GraphBuilder } from '../../../../src/main/engine/onnx/graph.js';
import { serializeModel } from '../../../../src/main/engine/onnx/proto.js';
import { Rng } from '../../../../src/main/engine/rng.js';

const C = 4;
const S = 9;

async function run(build: (net: Net, x: string) => string[], x: Float32Array): Promise<Float32Array[]> {
  const g = new GraphBuilder('t');
  const input = g.input('x', 'float32', [1, C, S, S]);
  const outs = build(new Net(g, 5), input);
  outs.forEach((o, i) => {
    g.node('Identity', [o], {}, { outputs: [`out${i}`] });
    g.output(`out${i}`, 'float32');
  });
  const s = await ort.InferenceSession.create(serializeModel(g.build()));
  const r = await s.run({ x: new ort.Tensor('float32', x, [1, C, S, S]) });
  await s.release();
  return outs.map((_, i) => Float32Array.from(r[`out${i}`].data as Float32Array));
}

function randomInput(seed: number): Float32Array {
  return new Rng(seed).normals(C * S * S);
}

describe('SSPCAB', () => {
  it('mask: four k x k corners of a (2k + 2d + 1) window', () => {
    const { window, mask } = sspcabMask(1, 1);
    expect(window).toBe(5);
    expect([...mask].map((v, i) => (v ? i : -1)).filter((i) => i >= 0)).toEqual([0, 4, 20, 24]);
    const m2 = sspcabMask(2, 1);
    expect(m2.window).toBe(7);
    expect(m2.mask.reduce((a, b) => a + b, 0)).toBe(16);
    expect(m2.mask[3 * 7 + 3]).toBe(0);
  });

  for (const [k, d] of [[1, 1], [2, 1], [1, 2]]) {
    it(`masked conv (k=${k}, d=${d}) ignores the centre: changing x at p leaves the output at p unchanged, a corner tap changes it`, async () => {
      const x = randomInput(1);
      const build = (net: Net, inp: string) => [maskedConv(net, 'm', inp, C, { kernel: k, dilation: d })];
      const [base] = await run(build, x);
      const p = 4 * S + 4; // centre of the 9 x 9 map
      const changed = Float32Array.from(x);
      for (let c = 0; c < C; c++) changed[c * S * S + p] += 10; // every channel at p
      const [out] = await run(build, changed);
      for (let c = 0; c < C; c++) expect(out[c * S * S + p]).toBeCloseTo(base[c * S * S + p], 5);
      // The pixel k + d away diagonally (inside the top-left corner kernel of position p) does change it.
      const corner = Float32Array.from(x);
      const q = (4 - k - d) * S + (4 - k - d);
      for (let c = 0; c < C; c++) corner[c * S * S + q] += 10;
      const [out2] = await run(build, corner);
      let moved = 0;
      for (let c = 0; c < C; c++) moved += Math.abs(out2[c * S * S + p] - base[c * S * S + p]);
      expect(moved).toBeGreaterThan(1e-3);
    });
  }

  it('block output keeps the shape and reports MSE(output, input) as its loss', async () => {
    const x = randomInput(2);
    const [out, loss] = await run((net, inp) => {
      const s = sspcab(net, 'b', inp, C, { reduction: 2 });
      return [s.output, s.loss];
    }, x);
    expect(out.length).toBe(x.length);
    let mse = 0;
    for (let i = 0; i < x.length; i++) mse += (out[i] - x[i]) ** 2;
    expect(loss[0]).toBeCloseTo(mse / x.length, 4);
  });
});
