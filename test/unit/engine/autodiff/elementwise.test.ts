import { describe, expect, it } from 'vitest';
import { assertVjp, checkVjp } from '../../../../src/main/engine/autodiff/checkVjp.js';

describe('elementwise rules (finite differences)', () => {
  it.each([
    ['Add', [[2, 3], [2, 3]]],
    ['Add', [[2, 1, 3], [4, 1]]], // broadcast both ways
    ['Sub', [[3, 5], [5]]],
    ['Mul', [[2, 3, 4], [1, 3, 1]]],
    ['Mul', [[], [3, 2]]], // scalar times matrix
    ['Sum', [[2, 3], [3], [2, 1]]],
  ] as const)('%s %j', async (op, shapes) => {
    const r = await checkVjp(op, shapes.map((s) => [...s]));
    expect(r.maxError).toBeLessThanOrEqual(r.tol);
  });

  it('Div (denominator kept away from 0)', async () => {
    await checkVjp('Div', [[3, 4], { shape: [4], fixed: true, domain: [0.5, 2] }]);
    await checkVjp('Div', [[3, 4], [4]], {}, { domain: [0.5, 2] });
  });
  it('Pow with tensor exponent', () => assertVjp('Pow', [[3, 4], [4]], {}, { domain: [0.5, 2] }));
  it('Pow with constant exponent 2', () => assertVjp('Pow', [[5, 3], { float: [2], dims: [] }], {}, { float32: true }));
  it('Neg, Identity, Exp', async () => {
    await checkVjp('Neg', [[7]]);
    await checkVjp('Identity', [[2, 3]]);
    await checkVjp('Exp', [[3, 3]]);
  });
  it('Sqrt, Log, Reciprocal on positive inputs', async () => {
    await checkVjp('Sqrt', [[4, 5]], {}, { domain: [0.3, 3] });
    await checkVjp('Log', [[4, 5]], {}, { domain: [0.3, 3] });
    await checkVjp('Reciprocal', [[4, 5]], {}, { domain: [0.3, 3] });
  });
  it('Abs away from its kink', () => assertVjp('Abs', [[5, 7]], {}, { avoid: [0] }));
  it('Where with broadcast branches', () =>
    assertVjp('Where', [{ bool: [1, 0, 1, 0, 0, 1], dims: [2, 3] }, [2, 3], [3]]));
  it('Max/Min of two tensors', async () => {
    await checkVjp('Max', [[3, 4], [4]]);
    await checkVjp('Min', [[3, 4], [3, 4]]);
  });
  it('Cast float64 -> float32 passes the gradient through', () => assertVjp('Cast', [[3, 2]], { to: 1 }, { tol: 1e-5 }));

  it('broadcast gradient sums over the broadcast axis (hand-checked)', async () => {
    // d/dx sum((x + y) * r) with x [3,1], y [1,4] => dx_i = sum_j r_ij: checked numerically above; here the
    // known case from tinygrad: x [3,1] + y [1,4], loss = sum -> dx = [4,4,4], dy = [3,3,3,3].
    const { GraphBuilder } = await import('../../../../src/main/engine/onnx/graph.js');
    const { buildBackward } = await import('../../../../src/main/engine/autodiff/backward.js');
    const { probeShapes } = await import('../../../../src/main/engine/autodiff/shapes.js');
    const { serializeModel } = await import('../../../../src/main/engine/onnx/proto.js');
    const ort = await import('onnxruntime-node');
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', [3, 1]);
    const y = g.input('y', 'float32', [1, 4]);
    const loss = g.op('ReduceSum', [g.op('Add', [x, y])], { keepdims: 0 });
    g.output(loss, 'float32', []);
    const feeds = {
      x: new ort.Tensor('float32', Float32Array.from([1, 2, 3]), [3, 1]),
      y: new ort.Tensor('float32', Float32Array.from([10, 20, 30, 40]), [1, 4]),
    };
    const model = g.build();
    const back = buildBackward(model, loss, ['x', 'y'], { shapes: await probeShapes(model, feeds) });
    const s = await ort.InferenceSession.create(serializeModel(back));
    const out = await s.run(feeds);
    expect(Array.from(out['grad.x'].data as Float32Array)).toEqual([4, 4, 4]);
    expect(Array.from(out['grad.y'].data as Float32Array)).toEqual([3, 3, 3, 3]);
    expect(out[loss].data[0]).toBe(4 * 6 + 3 * 100);
  });
});
