/**
 * Activations. Most reuse the forward output y: sigmoid' = y(1-y), tanh' = 1-y^2, softmax' = y(g - sum(g*y)).
 */
import type { RuleTable } from '../kit.js';

export const activationRules: RuleTable = {
  // relu' = [y > 0]; subgradient 0 at 0 as PyTorch.
  Relu: (k) => [k.emit('Where', [k.emit('Greater', [k.y(0), k.scalar(0)]), k.dy(0)!, k.scalar(0)])],
  LeakyRelu: (k) => {
    const alpha = k.attr('alpha', 0.01);
    return [k.emit('Where', [k.emit('Greater', [k.x(0), k.scalar(0)]), k.dy(0)!, k.emit('Mul', [k.dy(0)!, k.scalar(alpha)])])];
  },
  Sigmoid: (k) => [k.emit('Mul', [k.dy(0)!, k.emit('Mul', [k.y(0), k.emit('Sub', [k.scalar(1), k.y(0)])])])],
  Tanh: (k) => [k.emit('Mul', [k.dy(0)!, k.emit('Sub', [k.scalar(1), k.emit('Mul', [k.y(0), k.y(0)])])])],
  // erf'(x) = 2/sqrt(pi) * exp(-x^2)
  Erf: (k) => {
    const e = k.emit('Exp', [k.emit('Neg', [k.emit('Mul', [k.x(0), k.x(0)])])]);
    return [k.emit('Mul', [k.dy(0)!, k.emit('Mul', [e, k.scalar(2 / Math.sqrt(Math.PI))])])];
  },
  // Clip passes the gradient where min <= x <= max (PyTorch's clamp convention: boundaries pass).
  Clip: (k) => {
    let mask: string | undefined;
    if (k.hasX(1)) mask = k.emit('GreaterOrEqual', [k.x(0), k.x(1)]);
    if (k.hasX(2)) {
      const le = k.emit('LessOrEqual', [k.x(0), k.x(2)]);
      mask = mask ? k.emit('And', [mask, le]) : le;
    }
    return [mask ? k.emit('Where', [mask, k.dy(0)!, k.scalar(0)]) : k.dy(0), null, null];
  },
  Softmax: (k) => {
    const axis = k.attr('axis', -1);
    const gy = k.emit('Mul', [k.dy(0)!, k.y(0)]);
    const s = k.reduce('ReduceSum', gy, [axis], true);
    return [k.emit('Sub', [gy, k.emit('Mul', [k.y(0), s])])];
  },
  // d logsoftmax = g - softmax * sum(g)
  LogSoftmax: (k) => {
    const axis = k.attr('axis', -1);
    const s = k.reduce('ReduceSum', k.dy(0)!, [axis], true);
    return [k.emit('Sub', [k.dy(0)!, k.emit('Mul', [k.emit('Exp', [k.y(0)]), s])])];
  },
  // softplus' = sigmoid(x)
  Softplus: (k) => [k.emit('Mul', [k.dy(0)!, k.emit('Sigmoid', [k.x(0)])])],
  // hardsigmoid' = alpha where 0 < alpha*x+beta < 1
  HardSigmoid: (k) => {
    const alpha = k.attr('alpha', 0.2);
    const inside = k.emit('And', [k.emit('Greater', [k.y(0), k.scalar(0)]), k.emit('Less', [k.y(0), k.scalar(1)])]);
    return [k.emit('Where', [inside, k.emit('Mul', [k.dy(0)!, k.scalar(alpha)]), k.scalar(0)])];
  },
};
