import { describe, it } from 'vitest';
import { assertVjp, checkVjp } from '../../../../src/main/engine/autodiff/checkVjp.js';

describe('matrix product rules (finite differences)', () => {
  it.each([
    [[3, 4], [4, 5]],
    [[2, 3, 4], [4, 5]], // batched left, shared right
    [[3, 4], [2, 4, 5]], // shared left, batched right
    [[2, 1, 3, 4], [3, 4, 2]], // broadcast batch dims
    [[4], [4, 3]], // vector-matrix
    [[2, 3, 4], [4]], // matrix-vector
    [[5], [5]], // dot
  ])('MatMul %j x %j', (a, b) => assertVjp('MatMul', [a, b]));

  it.each([
    [{}, [3, 4], [4, 5], [5]],
    [{ transA: 1 }, [4, 3], [4, 5], [3, 5]],
    [{ transB: 1, alpha: 0.5, beta: 2 }, [3, 4], [5, 4], [1, 5]],
    [{ transA: 1, transB: 1 }, [4, 3], [5, 4], [3, 1]],
  ])('Gemm %j', (attrs, a, b, c) => assertVjp('Gemm', [a, b, c], attrs));
});
