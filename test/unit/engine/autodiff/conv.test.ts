import { describe, it } from 'vitest';
import { assertVjp, checkVjp } from '../../../../src/main/engine/autodiff/checkVjp.js';
import { convTuning } from '../../../../src/main/engine/autodiff/rules/conv.js';

// ORT's CPU Conv/ConvTranspose have float32 kernels only, so these run in float32 (see checkVjp's header).
describe('convolution rules (finite differences)', () => {
  it.each([
    ['plain 3x3', [2, 3, 5, 6], [4, 3, 3, 3], {}],
    ['pads 1', [2, 3, 5, 5], [4, 3, 3, 3], { pads: [1, 1, 1, 1] }],
    ['stride 2, odd size', [1, 2, 7, 6], [3, 2, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }],
    ['stride 2 asymmetric pads', [1, 2, 6, 7], [3, 2, 3, 2], { strides: [2, 3], pads: [0, 1, 1, 0] }],
    ['dilation 2', [1, 2, 8, 7], [2, 2, 3, 3], { dilations: [2, 2], pads: [2, 2, 2, 2] }],
    ['groups 2', [2, 4, 5, 5], [6, 2, 3, 3], { group: 2, pads: [1, 1, 1, 1] }],
    ['depthwise', [2, 3, 6, 5], [3, 1, 3, 3], { group: 3, pads: [1, 1, 1, 1] }],
    ['depthwise x2 multiplier, stride 2', [1, 2, 7, 7], [4, 1, 3, 3], { group: 2, strides: [2, 2] }],
    ['1x1 stride 2 (ResNet shortcut)', [2, 3, 6, 6], [4, 3, 1, 1], { strides: [2, 2] }],
    ['auto_pad SAME_UPPER', [1, 2, 5, 6], [2, 2, 3, 3], { auto_pad: 'SAME_UPPER', strides: [2, 2] }],
    ['1-D', [2, 3, 9], [2, 3, 3], { pads: [1, 1] }],
    ['>= 128 output positions (batched FusedMatMul weight gradient, cols · goutᵀ)', [2, 2, 12, 12], [3, 2, 3, 3], { pads: [1, 1, 1, 1] }],
    ['>= 128 output positions, more outputs than columns (gout · colsᵀ)', [2, 1, 12, 12], [12, 1, 3, 3], { pads: [1, 1, 1, 1] }],
    ['1x1 stride 1 (no im2col)', [2, 3, 4, 5], [2, 3, 1, 1], {}],
    // Strided dX: one GEMM + col2im below 64 dy positions (the cases above), ConvTranspose from 64 on.
    ['stride 2 dilation 2 (dX by GEMM + col2im)', [2, 2, 9, 9], [3, 2, 3, 3], { strides: [2, 2], dilations: [2, 2], pads: [2, 2, 2, 2] }],
    ['1-D stride 2 (dX by GEMM + col2im)', [2, 3, 9], [2, 3, 3], { strides: [2], pads: [1, 1] }],
    ['stride 2, 72 dy positions (dX by ConvTranspose)', [1, 2, 17, 16], [3, 2, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }],
    // Kernels of 5x5 and more unfold rows, then columns (two one-hot Convs) for dW.
    ['7x7 stride 2 pads 3 (ResNet stem; row-then-column im2col)', [2, 3, 11, 10], [4, 3, 7, 7], { strides: [2, 2], pads: [3, 3, 3, 3] }],
    ['5x6 groups 2, strides (1, 2), dilations (2, 1), asymmetric pads (row-then-column im2col)', [1, 4, 13, 12], [2, 2, 5, 6], { group: 2, strides: [1, 2], dilations: [2, 1], pads: [4, 1, 3, 2] }],
    ['5x5 >= 128 output positions (row-then-column im2col, batched weight gradient)', [2, 2, 14, 14], [3, 2, 5, 5], { pads: [2, 2, 2, 2] }],
  ] as const)('Conv %s', (_name, x, w, attrs) => assertVjp('Conv', [[...x], [...w], [w[0]]], { ...attrs } as never));

  it.each([
    ['stride 2 (U-Net up)', [1, 3, 4, 5], [3, 2, 2, 2], { strides: [2, 2] }],
    ['stride 2 pads 1 output_padding 1', [2, 2, 3, 3], [2, 3, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] }],
    ['stride 1 dilation 2', [1, 2, 4, 4], [2, 2, 3, 3], { dilations: [2, 2] }],
    ['groups 2', [1, 4, 3, 3], [4, 1, 3, 3], { group: 2, strides: [2, 2] }],
  ] as const)('ConvTranspose %s', (_name, x, w, attrs) =>
    assertVjp('ConvTranspose', [[...x], [...w], [w[1] * ((attrs as { group?: number }).group ?? 1)]], { ...attrs } as never));

  it('chunks the batch when the im2col buffer would be too large (same gradients)', async () => {
    const saved = convTuning.maxColsBytes;
    convTuning.maxColsBytes = 2 * 18 * 36 * 4; // two samples' columns per chunk -> chunks of 2, 2, 1
    try {
      await checkVjp('Conv', [[5, 2, 6, 6], [3, 2, 3, 3]], { pads: [1, 1, 1, 1] });
      await checkVjp('Conv', [[5, 2, 7, 7], [4, 1, 3, 3]], { group: 2, strides: [2, 2] });
    } finally {
      convTuning.maxColsBytes = saved;
    }
  });
});
