import { describe, it } from 'vitest';
import { assertVjp, checkVjp } from '../../../../src/main/engine/autodiff/checkVjp.js';

const labels = (v: number[], dims: number[]) => ({ int64: v, dims });

describe('loss rules (finite differences)', () => {
  it('SoftmaxCrossEntropyLoss mean / sum / none', async () => {
    await checkVjp('SoftmaxCrossEntropyLoss', [[4, 3], labels([0, 2, 1, 2], [4])], { reduction: 'mean' });
    await checkVjp('SoftmaxCrossEntropyLoss', [[4, 3], labels([0, 2, 1, 2], [4])], { reduction: 'sum' });
    await checkVjp('SoftmaxCrossEntropyLoss', [[4, 3], labels([0, 2, 1, 2], [4])], { reduction: 'none' });
  });
  it('SoftmaxCrossEntropyLoss with class weights, ignore_index and spatial dims', async () => {
    await checkVjp('SoftmaxCrossEntropyLoss', [[2, 3, 2, 2], labels([0, 1, 2, -100, 1, 1, 0, 2], [2, 2, 2]), { shape: [3], fixed: true, domain: [0.5, 2] }], { ignore_index: -100 });
  });
  it('SoftmaxCrossEntropyLoss with its log_prob output also used', () =>
    assertVjp('SoftmaxCrossEntropyLoss', [[3, 4], labels([3, 0, 1], [3])], {}, { outputs: 2, lossOutputs: [0, 1] }));
  it('NegativeLogLikelihoodLoss', () =>
    assertVjp('NegativeLogLikelihoodLoss', [[4, 3], labels([0, 2, 1, 2], [4])], { reduction: 'mean' }));
});
