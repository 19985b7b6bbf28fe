import { describe, it } from 'vitest';
import { assertVjp, checkVjp } from '../../../../src/main/engine/autodiff/checkVjp.js';

describe('activation rules (finite differences)', () => {
  it('Relu and LeakyRelu away from 0', async () => {
    await checkVjp('Relu', [[3, 7]], {}, { avoid: [0] });
    await checkVjp('LeakyRelu', [[3, 7]], { alpha: 0.1 }, { avoid: [0] });
  });
  it('Sigmoid, Tanh, Softplus', async () => {
    await checkVjp('Sigmoid', [[4, 5]], {}, { domain: [-4, 4] });
    await checkVjp('Tanh', [[4, 5]]);
    await checkVjp('Softplus', [[9]]);
  });
  it('Erf (float32 kernel only)', () => assertVjp('Erf', [[3, 5]]));
  it('HardSigmoid away from its corners', () => assertVjp('HardSigmoid', [[11]], { alpha: 0.2, beta: 0.5 }, { domain: [-4, 4], avoid: [-2.5, 2.5] }));
  it('Clip with min and max inputs, away from the bounds', async () => {
    await checkVjp('Clip', [[4, 6], { float: [-0.5], dims: [] }, { float: [0.7], dims: [] }], {}, { avoid: [-0.5, 0.7], float32: true });
    await checkVjp('Clip', [[4, 6], { float: [-0.5], dims: [] }], {}, { avoid: [-0.5], float32: true });
  });
  it('Softmax and LogSoftmax on every axis', async () => {
    for (const axis of [-1, 0, 1]) {
      await checkVjp('Softmax', [[3, 4, 5]], { axis });
      await checkVjp('LogSoftmax', [[3, 4, 5]], { axis });
    }
  });
});
