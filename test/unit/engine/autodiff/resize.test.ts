import { describe, expect, it } from 'vitest';
import { assertVjp, checkVjp } from '../../../../src/main/engine/autodiff/checkVjp.js';
import { resizeMatrix } from '../../../../src/main/engine/autodiff/rules/resize.js';

const scales = (s: number[]) => ({ float: s, dims: [s.length] });
const sizes = (s: number[]) => ({ int64: s, dims: [s.length] });

// ORT's Resize has no float64 kernel: float32 with checkVjp's float32 tolerance.
describe('Resize rule (finite differences)', () => {
  it.each(['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'])('linear x2, %s', (coord) =>
    assertVjp('Resize', [[1, 2, 3, 4], null, scales([1, 1, 2, 2])], { mode: 'linear', coordinate_transformation_mode: coord }));
  it.each(['half_pixel', 'align_corners', 'pytorch_half_pixel'])('linear to odd sizes, %s', (coord) =>
    assertVjp('Resize', [[2, 1, 4, 3], null, null, sizes([2, 1, 7, 5])], { mode: 'linear', coordinate_transformation_mode: coord }));
  it('linear downsampling', () =>
    assertVjp('Resize', [[1, 2, 6, 7], null, null, sizes([1, 2, 3, 4])], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }));
  it('nearest x2 asymmetric/floor (PyTorch export, block-sum fast path)', () =>
    assertVjp('Resize', [[1, 2, 3, 4], null, scales([1, 1, 2, 2])], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }));
  it('nearest to odd sizes (matrix path)', () =>
    assertVjp('Resize', [[1, 2, 3, 4], null, null, sizes([1, 2, 5, 7])], { mode: 'nearest' }));
  it('nearest x3 half_pixel round_prefer_ceil', () =>
    assertVjp('Resize', [[1, 1, 2, 3], null, scales([1, 1, 3, 3])], { mode: 'nearest', nearest_mode: 'round_prefer_ceil' }));

  it('bilinear x2 half_pixel matrix rows sum to 1 and match the .25/.75 stencil', () => {
    const a = resizeMatrix('linear', 'half_pixel', '', 4, 8, 2);
    expect(Array.from(a.slice(0, 4))).toEqual([1, 0, 0, 0]); // j=0 clamps to x=0
    expect(Array.from(a.slice(4, 8))).toEqual([0.75, 0.25, 0, 0]); // j=1: x=0.25
    expect(Array.from(a.slice(8, 12))).toEqual([0.25, 0.75, 0, 0]); // j=2: x=0.75
  });
});
