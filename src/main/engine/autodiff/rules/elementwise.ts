/**
 * Elementwise arithmetic. Broadcasting rules return gradients in y's shape; the walker un-broadcasts.
 * `g` is dy(0), `a`/`b` are the inputs, `y` the output (reused where cheaper, as derivatives.yaml does).
 */
import { broadcasting, type RuleTable } from '../kit.js';

export const elementwiseRules: RuleTable = {
  Add: broadcasting((k) => [k.dy(0), k.dy(0)]),
  Sub: broadcasting((k) => [k.dy(0), k.needs(1) ? k.emit('Neg', [k.dy(0)!]) : null]),
  // d(a*b) = g*b, g*a
  Mul: broadcasting((k) => [
    k.needs(0) ? k.emit('Mul', [k.dy(0)!, k.x(1)]) : null,
    k.needs(1) ? k.emit('Mul', [k.dy(0)!, k.x(0)]) : null,
  ]),
  // d(a/b) = g/b, -g*y/b
  Div: broadcasting((k) => [
    k.needs(0) ? k.emit('Div', [k.dy(0)!, k.x(1)]) : null,
    k.needs(1) ? k.emit('Neg', [k.emit('Div', [k.emit('Mul', [k.dy(0)!, k.y(0)]), k.x(1)])]) : null,
  ]),
  Sum: broadcasting((k) => k.node.input!.map(() => k.dy(0))),
  Neg: (k) => [k.emit('Neg', [k.dy(0)!])],
  Identity: (k) => [k.dy(0)],
  // Cast between float types: cast the gradient back. (Casts to or from integers carry no gradient: the walker
  // only sends gradients along float values.)
  Cast: (k) => [k.emit('Cast', [k.dy(0)!], { to: castTo(k.dtype(k.x(0))) })],
  // d(a^p) = g*p*a^(p-1), g*y*log(a)
  Pow: broadcasting((k) => {
    const g = k.dy(0)!;
    const p = k.dtype(k.x(1)) === k.dtype(k.x(0)) ? k.x(1) : k.emit('Cast', [k.x(1)], { to: castTo(k.dtype(k.x(0))) });
    return [
      k.needs(0) ? k.emit('Mul', [g, k.emit('Mul', [p, k.emit('Pow', [k.x(0), k.emit('Sub', [p, k.scalar(1)])])])]) : null,
      k.needs(1) ? k.emit('Mul', [g, k.emit('Mul', [k.y(0), k.emit('Log', [k.x(0)])])]) : null,
    ];
  }),
  // d sqrt(a) = g / (2y)
  Sqrt: (k) => [k.emit('Div', [k.dy(0)!, k.emit('Mul', [k.y(0), k.scalar(2)])])],
  Exp: (k) => [k.emit('Mul', [k.dy(0)!, k.y(0)])],
  Log: (k) => [k.emit('Div', [k.dy(0)!, k.x(0)])],
  // d|a| = g*sign(a) (subgradient 0 at 0, as PyTorch)
  Abs: (k) => [k.emit('Mul', [k.dy(0)!, k.emit('Sign', [k.x(0)])])],
  // d(1/a) = -g*y^2
  Reciprocal: (k) => [k.emit('Neg', [k.emit('Mul', [k.dy(0)!, k.emit('Mul', [k.y(0), k.y(0)])])])],
  // Where(c, a, b): the gradient goes to the branch that was chosen.
  Where: broadcasting((k) => {
    const zero = k.scalar(0, k.y(0));
    return [
      null,
      k.needs(1) ? k.emit('Where', [k.x(0), k.dy(0)!, zero]) : null,
      k.needs(2) ? k.emit('Where', [k.x(0), zero, k.dy(0)!]) : null,
    ];
  }),
  // Max/Min of two tensors: the gradient goes to the chosen input (to the first one on ties).
  Max: broadcasting((k) => pick(k, 'GreaterOrEqual')),
  Min: broadcasting((k) => pick(k, 'LessOrEqual')),
};

function pick(k: Parameters<RuleTable[string]>[0], cmp: string): (string | null)[] {
  if (k.node.input!.length !== 2) k.fail('only the two-input form is supported');
  const first = k.emit(cmp, [k.x(0), k.x(1)]);
  const zero = k.scalar(0, k.y(0));
  const g = k.emit('Expand', [k.dy(0)!, k.ints(k.shape(k.y(0)))]);
  return [
    k.needs(0) ? k.emit('Where', [first, g, zero]) : null,
    k.needs(1) ? k.emit('Where', [first, zero, g]) : null,
  ];
}

export function castTo(dtype: string): number {
  return dtype === 'float64' ? 11 : dtype === 'float16' ? 10 : 1;
}
