import { describe, it } from 'vitest';
import { assertVjp, checkVjp } from '../../../../src/main/engine/autodiff/checkVjp.js';

describe('normalization rules (finite differences)', () => {
  it('BatchNormalization, training mode (gradients through batch statistics)', () =>
    assertVjp('BatchNormalization', [[3, 2, 3, 4], [2], [2], { shape: [2], fixed: true }, { shape: [2], fixed: true, domain: [0.5, 2] }], { training_mode: 1, epsilon: 1e-5 }, { outputs: 3 }));
  it('BatchNormalization, opset-13 training model (5 outputs) is normalised to training_mode', () =>
    assertVjp('BatchNormalization', [[4, 3, 2, 2], [3], [3], { shape: [3], fixed: true }, { shape: [3], fixed: true, domain: [0.5, 2] }], {}, { outputs: 5, opset: 13 }));
  it('BatchNormalization, inference mode (all five inputs differentiable)', () =>
    assertVjp('BatchNormalization', [[2, 3, 2, 3], [3], [3], [3], { shape: [3], fixed: true, domain: [0.5, 2] }], { epsilon: 1e-3 }));
  it('BatchNormalization on [N, C] (BatchNorm1d)', () =>
    assertVjp('BatchNormalization', [[5, 3], [3], [3], { shape: [3], fixed: true }, { shape: [3], fixed: true, domain: [0.5, 2] }], { training_mode: 1 }, { outputs: 3 }));
  it('InstanceNormalization', () => assertVjp('InstanceNormalization', [[2, 3, 3, 4], [3], [3]], { epsilon: 1e-5 }));
  it('LayerNormalization over the last two axes', () => assertVjp('LayerNormalization', [[2, 3, 4, 5], [4, 5], [4, 5]], { axis: -2 }));
});
