/**
 * Matrix products. MatMul follows numpy semantics (1-D operands promoted, batch dims broadcast), so its rule
 * un-broadcasts the batch dims itself: the walker's broadcast sum only knows y's shape.
 */
import type { RuleTable, VjpKit } from '../kit.js';

function swapLast(k: VjpKit, v: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return k.emit('Transpose', [v], { perm });
}

export const linalgRules: RuleTable = {
  MatMul: (k) => {
    const sa = k.shape(k.x(0));
    const sb = k.shape(k.x(1));
    const g = k.dy(0)!;
    if (sa.length === 1 && sb.length === 1) {
      return [k.needs(0) ? k.emit('Mul', [g, k.x(1)]) : null, k.needs(1) ? k.emit('Mul', [g, k.x(0)]) : null];
    }
    // Promote 1-D operands to matrices so one formula covers all cases.
    const a2 = sa.length === 1 ? [1, sa[0]] : sa;
    const b2 = sb.length === 1 ? [sb[0], 1] : sb;
    const A = sa.length === 1 ? k.emit('Reshape', [k.x(0), k.ints(a2)]) : k.x(0);
    const B = sb.length === 1 ? k.emit('Reshape', [k.x(1), k.ints(b2)]) : k.x(1);
    const sy = k.shape(k.y(0));
    const batch = sy.slice(0, sy.length - (sa.length === 1 || sb.length === 1 ? 1 : 2));
    const m = a2[a2.length - 2];
    const n = b2[b2.length - 1];
    const gy = k.emit('Reshape', [g, k.ints([...batch, m, n])]);
    const out: (string | null)[] = [null, null];
    if (k.needs(0)) {
      const d = k.emit('MatMul', [gy, swapLast(k, B, b2.length)]);
      const r = k.unbroadcast(d, [...batch, m, a2[a2.length - 1]], a2);
      out[0] = sa.length === 1 ? k.emit('Reshape', [r, k.ints(sa)]) : r;
    }
    if (k.needs(1)) {
      const d = k.emit('MatMul', [swapLast(k, A, a2.length), gy]);
      const r = k.unbroadcast(d, [...batch, b2[b2.length - 2], n], b2);
      out[1] = sb.length === 1 ? k.emit('Reshape', [r, k.ints(sb)]) : r;
    }
    return out;
  },
  // Y = alpha*A'B' + beta*C with A' = transA ? A^T : A. Each gradient is one Gemm with the flags chosen so no
  // Transpose node is needed.
  Gemm: (k) => {
    const alpha = k.attr('alpha', 1.0);
    const beta = k.attr('beta', 1.0);
    const tA = k.attr('transA', 0);
    const tB = k.attr('transB', 0);
    const g = k.dy(0)!;
    const dA = !k.needs(0)
      ? null
      : tA
        ? k.emit('Gemm', [k.x(1), g], { alpha, transA: tB, transB: 1 })
        : k.emit('Gemm', [g, k.x(1)], { alpha, transA: 0, transB: tB ? 0 : 1 });
    const dB = !k.needs(1)
      ? null
      : tB
        ? k.emit('Gemm', [g, k.x(0)], { alpha, transA: 1, transB: tA })
        : k.emit('Gemm', [k.x(0), g], { alpha, transA: tA ? 0 : 1, transB: 0 });
    let dC: string | null = null;
    if (k.hasX(2) && k.needs(2)) {
      const scaled = beta === 1 ? g : k.emit('Mul', [g, k.scalar(beta)]);
      dC = k.unbroadcast(scaled, k.shape(k.y(0)), k.shape(k.x(2)));
    }
    return [dA, dB, dC];
  },
};
