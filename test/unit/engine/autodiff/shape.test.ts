import { describe, it } from 'vitest';
import { assertVjp, checkVjp } from '../../../../src/main/engine/autodiff/checkVjp.js';

describe('data-movement rules (finite differences)', () => {
  it('Reshape, Flatten, Squeeze, Unsqueeze', async () => {
    await checkVjp('Reshape', [[2, 3, 4], { int64: [6, -1], dims: [2] }]);
    await checkVjp('Flatten', [[2, 3, 4]], { axis: 2 });
    await checkVjp('Squeeze', [[2, 1, 3], { int64: [1], dims: [1] }]);
    await checkVjp('Unsqueeze', [[2, 3], { int64: [0, 3], dims: [2] }]);
  });
  it('Expand (broadcast sums back)', () => assertVjp('Expand', [[3, 1], { int64: [2, 3, 4], dims: [3] }]));
  it('Transpose with and without perm', async () => {
    await checkVjp('Transpose', [[2, 3, 4]], { perm: [1, 2, 0] });
    await checkVjp('Transpose', [[2, 3, 4]]);
  });
  it('Concat and Split', async () => {
    await checkVjp('Concat', [[2, 3], [2, 1], [2, 4]], { axis: 1 });
    await checkVjp('Split', [[2, 7], { int64: [2, 5], dims: [2] }], { axis: -1 }, { outputs: 2, lossOutputs: [0, 1] });
    await checkVjp('Split', [[6, 2], { int64: [1, 2, 3], dims: [3] }], { axis: 0 }, { outputs: 3, lossOutputs: [2] }); // unused outputs get zeros
  });
  it('Slice with negative starts, steps > 1 and negative steps', async () => {
    await checkVjp('Slice', [[5, 6], { int64: [1, -4], dims: [2] }, { int64: [4, 100], dims: [2] }]);
    await checkVjp('Slice', [[5, 7], { int64: [1], dims: [1] }, { int64: [7], dims: [1] }, { int64: [1], dims: [1] }, { int64: [2], dims: [1] }]);
    await checkVjp('Slice', [[5, 7], { int64: [-1], dims: [1] }, { int64: [-1000], dims: [1] }, { int64: [0], dims: [1] }, { int64: [-1], dims: [1] }]);
    await checkVjp('Slice', [[8, 3], { int64: [6], dims: [1] }, { int64: [0], dims: [1] }, { int64: [0], dims: [1] }, { int64: [-3], dims: [1] }]);
  });
  it('Pad constant (including negative pads), reflect, edge', async () => {
    await checkVjp('Pad', [[1, 2, 4, 5], { int64: [0, 0, 1, 2, 0, 0, 2, 1], dims: [8] }], { mode: 'constant' });
    await checkVjp('Pad', [[2, 5], { int64: [0, -1, 1, 2], dims: [4] }], { mode: 'constant' });
    await checkVjp('Pad', [[1, 2, 4, 5], { int64: [0, 0, 1, 2, 0, 0, 2, 1], dims: [8] }], { mode: 'reflect' });
    await checkVjp('Pad', [[1, 2, 4, 5], { int64: [0, 0, 3, 1, 0, 0, 1, 3], dims: [8] }], { mode: 'reflect' });
    await checkVjp('Pad', [[1, 2, 4, 5], { int64: [0, 0, 1, 2, 0, 0, 2, 1], dims: [8] }], { mode: 'edge' });
  });
  it('Gather on axis 0 and 1 with repeated and negative indices', async () => {
    await checkVjp('Gather', [[5, 3], { int64: [0, 2, 2, -1], dims: [2, 2] }], { axis: 0 });
    await checkVjp('Gather', [[2, 5, 3], { int64: [4, 0, 4], dims: [3] }], { axis: 1 });
    await checkVjp('Gather', [[2, 5, 3], { int64: [1], dims: [] }], { axis: 1 });
  });
  it('GatherElements and Tile', async () => {
    await checkVjp('GatherElements', [[3, 4], { int64: [0, 0, 3, 1, 2, 2, 1, 1, 0], dims: [3, 3] }], { axis: 1 });
    await checkVjp('Tile', [[2, 3], { int64: [2, 3], dims: [2] }]);
  });
  it('Dropout in inference mode is the identity', () => assertVjp('Dropout', [[3, 4]], {}, { outputs: 1 }));
});
