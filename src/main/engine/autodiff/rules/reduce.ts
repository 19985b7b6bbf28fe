/**
 * Reductions. Axes come from the `axes` attribute (ReduceMean/Max/... up to opset 17) or the second input
 * (ReduceSum from opset 13, all reductions from opset 18). Every rule first reshapes dy (and y) to the
 * keepdims shape, so it broadcasts against x.
 */
import type { RuleTable, VjpKit } from '../kit.js';

interface Reduced {
  axes: number[];
  keepShape: number[];
  g: string; // dy in keepdims shape
}

function reduced(k: VjpKit): Reduced | undefined {
  const xs = k.shape(k.x(0));
  const fromInput = k.opType === 'ReduceSum' || k.opset >= 18;
  let axes: number[] | undefined;
  if (fromInput) {
    if (k.hasX(1)) {
      axes = k.values(k.x(1));
      if (!axes) k.fail('its axes input is not a constant');
    }
  } else {
    axes = k.attr('axes', undefined as unknown as number[]);
  }
  if (!axes || axes.length === 0) {
    if (k.attr('noop_with_empty_axes', 0) === 1) return undefined;
    axes = xs.map((_, i) => i);
  }
  axes = axes.map((a) => (a < 0 ? a + xs.length : a));
  const keepShape = xs.map((d, i) => (axes!.includes(i) ? 1 : d));
  const g = k.attr('keepdims', 1) === 1 ? k.dy(0)! : k.emit('Reshape', [k.dy(0)!, k.ints(keepShape)]);
  return { axes, keepShape, g };
}

function count(k: VjpKit, axes: number[]): number {
  const xs = k.shape(k.x(0));
  return axes.reduce((a, i) => a * xs[i], 1);
}

function keepY(k: VjpKit, r: Reduced): string {
  return k.attr('keepdims', 1) === 1 ? k.y(0) : k.emit('Reshape', [k.y(0), k.ints(r.keepShape)]);
}

/** Max/min: the gradient is shared equally among the elements equal to the extreme value. */
function extremeGrad(k: VjpKit): (string | null)[] {
  const r = reduced(k);
  if (!r) return [k.dy(0)!, null];
  const mask = k.emit('Cast', [k.emit('Equal', [k.x(0), keepY(k, r)])], { to: k.dtype(k.x(0)) === 'float64' ? 11 : 1 });
  const n = k.reduce('ReduceSum', mask, r.axes, true);
  return [k.emit('Mul', [mask, k.emit('Div', [r.g, n])]), null];
}

export const reduceRules: RuleTable = {
  ReduceSum: (k) => {
    const r = reduced(k);
    if (!r) return [k.dy(0)!, null];
    return [k.emit('Expand', [r.g, k.ints(k.shape(k.x(0)))]), null];
  },
  ReduceMean: (k) => {
    const r = reduced(k);
    if (!r) return [k.dy(0)!, null];
    return [k.emit('Expand', [k.emit('Mul', [r.g, k.scalar(1 / count(k, r.axes))]), k.ints(k.shape(k.x(0)))]), null];
  },
  ReduceMax: extremeGrad,
  ReduceMin: extremeGrad,
  ReduceSumSquare: (k) => {
    const r = reduced(k);
    if (!r) return [k.emit('Mul', [k.dy(0)!, k.emit('Mul', [k.x(0), k.scalar(2)])]), null];
    return [k.emit('Mul', [r.g, k.emit('Mul', [k.x(0), k.scalar(2)])]), null];
  },
  // y = sqrt(sum x^2): dx = g * x / y
  ReduceL2: (k) => {
    const r = reduced(k);
    if (!r) return [k.emit('Mul', [k.dy(0)!, k.emit('Sign', [k.x(0)])]), null];
    return [k.emit('Mul', [k.x(0), k.emit('Div', [r.g, keepY(k, r)])]), null];
  },
  // y = log sum exp x: dx = g * exp(x - y)
  ReduceLogSumExp: (k) => {
    const r = reduced(k);
    if (!r) return [k.dy(0)!, null];
    return [k.emit('Mul', [r.g, k.emit('Exp', [k.emit('Sub', [k.x(0), keepY(k, r)])])]), null];
  },
};
