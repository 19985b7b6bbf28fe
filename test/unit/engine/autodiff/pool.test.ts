import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildBackward } from '../../../../src/main/engine/autodiff/backward.js';
import { assertVjp, checkVjp } from '../../../../src/main/engine/autodiff/checkVjp.js';
import { probeShapes } from '../../../../src/main/engine/autodiff/shapes.js';
import { GraphBuilder, type Attrs } from '../../../../src/main/engine/onnx/graph.js';
import { serializeModel } from '../../../../src/main/engine/onnx/proto.js';
import { Rng } from '../../../../src/main/engine/rng.js';

describe('pooling rules (finite differences)', () => {
  it('MaxPool 2x2 stride 2', () => assertVjp('MaxPool', [[2, 3, 6, 6]], { kernel_shape: [2, 2], strides: [2, 2] }));
  it('MaxPool 3x3 stride 2 pad 1 (ResNet stem, overlapping windows)', () =>
    assertVjp('MaxPool', [[1, 2, 7, 8]], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }));
  it('MaxPool ceil_mode', () => assertVjp('MaxPool', [[1, 2, 7, 7]], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }));
  it('AveragePool with count_include_pad 0 and 1', async () => {
    await checkVjp('AveragePool', [[1, 2, 7, 6]], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
    await checkVjp('AveragePool', [[1, 2, 7, 6]], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 });
  });
  it('AveragePool ceil_mode and non-square kernel', () =>
    assertVjp('AveragePool', [[2, 1, 7, 5]], { kernel_shape: [2, 3], strides: [2, 2], ceil_mode: 1 }));
  it('GlobalAveragePool and GlobalMaxPool', async () => {
    await checkVjp('GlobalAveragePool', [[2, 3, 4, 5]]);
    await checkVjp('GlobalMaxPool', [[2, 3, 4, 5]], {}, { float32: true });
  });
});

/**
 * Where a tied maximum's gradient goes: finite differences cannot see it, and the maxpool_ties parity fixture
 * checks weight gradients upstream of a nearest upsampling, which add the tied positions together. PyTorch's
 * max_pool2d backward (and ORT's Indices) give the whole gradient to the first maximum in row-major window order,
 * padding excluded. The host reference below does exactly that; inputs are quarters in [-1, 1], so many windows
 * hold ties, some with a maximum of 0 next to padding.
 */
async function maxPoolGradAndReference(dims: number[], attrs: Attrs): Promise<{ grad: Float32Array; expected: Float32Array; tiedWindows: number }> {
  const rng = new Rng(11);
  const n = dims.reduce((a, b) => a * b, 1);
  const xs = Float32Array.from(rng.uniforms(n, -1, 1), (v) => Math.round(v * 4) / 4);
  const feeds = { x: new ort.Tensor('float32', xs, dims) };
  const g = new GraphBuilder('maxpool-ties');
  const [y] = g.node('MaxPool', [g.input('x', 'float32', dims)], attrs);
  g.output(y, 'float32');
  const ys = (await probeShapes(g.build(), feeds)).get(y)!.dims;
  g.outputs.length = 0;
  const r = Float32Array.from(rng.uniforms(ys.reduce((a, b) => a * b, 1), -1, 1));
  const loss = g.op('ReduceSum', [g.op('Mul', [y, g.initializer('r', 'float32', ys, r)])], { keepdims: 0 });
  g.output(loss, 'float32', []);
  const model = g.build();
  const back = buildBackward(model, loss, ['x'], { shapes: await probeShapes(model, feeds) });
  const s = await ort.InferenceSession.create(serializeModel(back));
  const grad = (await s.run(feeds))['grad.x'].data as Float32Array;
  await s.release();

  const [N, C, H, W] = dims;
  const [Ho, Wo] = ys.slice(2);
  const [kh, kw] = attrs.kernel_shape as number[];
  const [sh, sw] = (attrs.strides as number[] | undefined) ?? [1, 1];
  const [dh, dw] = (attrs.dilations as number[] | undefined) ?? [1, 1];
  const [ph, pw] = (attrs.pads as number[] | undefined) ?? [0, 0];
  const expected = new Float32Array(n);
  let tiedWindows = 0;
  for (let p = 0; p < N * C; p++) {
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        let best = -Infinity;
        let at = -1;
        let count = 0;
        for (let a = 0; a < kh; a++) {
          for (let b = 0; b < kw; b++) {
            const row = i * sh - ph + a * dh;
            const col = j * sw - pw + b * dw;
            if (row < 0 || row >= H || col < 0 || col >= W) continue;
            const v = xs[(p * H + row) * W + col];
            if (v > best) [best, at, count] = [v, (p * H + row) * W + col, 1];
            else if (v === best) count++;
          }
        }
        expected[at] += r[(p * Ho + i) * Wo + j];
        if (count > 1) tiedWindows++;
      }
    }
  }
  return { grad, expected, tiedWindows };
}

describe('MaxPool backward over exact ties', () => {
  const cases: [string, number[], Attrs][] = [
    ['ResNet stem 3x3 stride 2 pad 1', [2, 4, 12, 11], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
    ['2x2 stride 2 ceil_mode', [1, 3, 7, 9], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }],
    ['3x2 stride 1 dilation (2, 1) asymmetric pads', [1, 2, 9, 8], { kernel_shape: [3, 2], dilations: [2, 1], pads: [2, 0, 1, 1] }],
  ];
  for (const [name, dims, attrs] of cases) {
    it(`each window's gradient goes to its first maximum (PyTorch's rule): ${name}`, async () => {
      const { grad, expected, tiedWindows } = await maxPoolGradAndReference(dims, attrs);
      expect(tiedWindows).toBeGreaterThan(5);
      let diff = 0;
      for (let i = 0; i < grad.length; i++) diff = Math.max(diff, Math.abs(grad[i] - expected[i]));
      // Overlapping windows add in a different order: equal up to float32 rounding of sums of a few terms.
      expect(diff).toBeLessThan(1e-6);
    });
  }
});
