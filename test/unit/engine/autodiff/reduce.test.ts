import { describe, it } from 'vitest';
import { assertVjp, checkVjp } from '../../../../src/main/engine/autodiff/checkVjp.js';

describe('reduction rules (finite differences)', () => {
  it('ReduceSum with axes input, keepdims 0 and 1, and all axes', async () => {
    await checkVjp('ReduceSum', [[2, 3, 4], { int64: [1], dims: [1] }], { keepdims: 0 });
    await checkVjp('ReduceSum', [[2, 3, 4], { int64: [0, -1], dims: [2] }], { keepdims: 1 });
    await checkVjp('ReduceSum', [[2, 3, 4]], { keepdims: 0 });
  });
  it('ReduceMean with opset-13 axes attribute', async () => {
    await checkVjp('ReduceMean', [[2, 3, 4]], { axes: [2, 3].map((a) => a - 1), keepdims: 0 });
    await checkVjp('ReduceMean', [[2, 3, 4]], { keepdims: 1 });
  });
  it('ReduceMean and ReduceMax with opset-18 axes input', async () => {
    await checkVjp('ReduceMean', [[2, 3, 4], { int64: [1], dims: [1] }], { keepdims: 0 }, { opset: 18 });
    await checkVjp('ReduceMax', [[2, 3, 4], { int64: [2], dims: [1] }], { keepdims: 1 }, { opset: 18 });
  });
  it('ReduceMax/ReduceMin with attribute axes', async () => {
    await checkVjp('ReduceMax', [[3, 5]], { axes: [1], keepdims: 0 });
    await checkVjp('ReduceMin', [[3, 5]], { axes: [0], keepdims: 1 });
  });
  it('ReduceSumSquare, ReduceL2, ReduceLogSumExp', async () => {
    await checkVjp('ReduceSumSquare', [[3, 4]], { axes: [1], keepdims: 0 });
    await checkVjp('ReduceL2', [[3, 4]], { axes: [1], keepdims: 1 });
    await checkVjp('ReduceLogSumExp', [[3, 4]], { axes: [0], keepdims: 0 });
  });
});
