/**
 * SimAM, parameter-free attention (Yang et al., ICML 2021), as graph nodes. Per channel of x [N,C,H,W]:
 *   d = (x − μ)², v = Σd / (HW − 1), e = d / (4(v + λ)) + 0.5, output = x · sigmoid(e).
 * μ and v are over the channel's own positions, so the block adapts to any input size (HW comes from the runtime
 * shape) and adds no parameters; every op has a gradient rule, so it can sit inside a trained network.
 */
import type { GraphBuilder } from '../onnx/graph.js';

export const SIMAM_LAMBDA = 1e-4;

export function simam(g: GraphBuilder, x: string, lambda = SIMAM_LAMBDA): string {
  const mean = g.op('ReduceMean', [x], { axes: [2, 3], keepdims: 1 });
  const centred = g.op('Sub', [x, mean]);
  const d = g.op('Mul', [centred, centred]);
  // HW − 1 from the runtime shape: no gradient flows through it (Shape/Slice/ReduceProd/Cast of ints).
  const shape = g.op('Shape', [x]);
  const hw = g.op('ReduceProd', [g.op('Slice', [shape, g.constInt64([2]), g.constInt64([4]), g.constInt64([0])])], { keepdims: 1 });
  const n = g.op('Cast', [g.op('Sub', [hw, g.constInt64([1])])], { to: 1 });
  const v = g.op('Div', [g.op('ReduceSum', [d, g.constInt64([2, 3])], { keepdims: 1 }), n]);
  const denom = g.op('Mul', [g.op('Add', [v, g.constFloat(lambda)]), g.constFloat(4)]);
  const e = g.op('Add', [g.op('Div', [d, denom]), g.constFloat(0.5)]);
  return g.op('Mul', [x, g.op('Sigmoid', [e])], {}, 'simam');
}
