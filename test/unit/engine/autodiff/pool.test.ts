import { describe, it } from 'vitest';
import { assertVjp, checkVjp } from '../../../../src/main/engine/autodiff/checkVjp.js';

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
