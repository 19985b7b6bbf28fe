/**
 * Pooling.
 * - MaxPool: the forward node is asked for its Indices output (flat offsets into X), and dX is a
 *   ScatterElements with reduction='add' of dy into zeros: exact for overlapping windows and ties
 *   (the gradient goes to the element ORT picked, as PyTorch's own max_pool backward does).
 * - AveragePool: dX is a depthwise ConvTranspose of dy/count with a ones kernel; `count` (the divisor of each
 *   window, which differs at borders when count_include_pad=0) is computed here from the geometry.
 */
import type { RuleTable, VjpKit } from '../kit.js';
import { convGeometry } from './conv.js';

function product(a: readonly number[]): number {
  return a.reduce((x, y) => x * y, 1);
}

/** Divisor of every output window along one axis. */
function windowCounts(size: number, out: number, k: number, s: number, pb: number, pe: number, includePad: boolean): number[] {
  return Array.from({ length: out }, (_, o) => {
    const start = o * s - pb;
    const end = Math.min(start + k, size + pe);
    return includePad ? end - start : Math.min(end, size) - Math.max(start, 0);
  });
}

function avgPoolGrad(k: VjpKit): string {
  const xs = k.shape(k.x(0));
  const ys = k.shape(k.y(0));
  const kernel = k.attr('kernel_shape', [] as number[]);
  const geo = convGeometry(k, xs.slice(2), kernel);
  const sd = kernel.length;
  const includePad = k.attr('count_include_pad', 0) === 1;
  const perAxis = kernel.map((kk, i) => windowCounts(xs[2 + i], ys[2 + i], kk, geo.strides[i], geo.padsBegin[i], geo.padsEnd[i], includePad));
  const outSpatial = ys.slice(2);
  const inv = new Array<number>(product(outSpatial));
  for (let flat = 0; flat < inv.length; flat++) {
    let rem = flat;
    let count = 1;
    for (let a = sd - 1; a >= 0; a--) {
      count *= perAxis[a][rem % outSpatial[a]];
      rem = Math.floor(rem / outSpatial[a]);
    }
    inv[flat] = 1 / count;
  }
  const scaled = k.emit('Mul', [k.dy(0)!, k.floats(inv, [1, 1, ...outSpatial])]);
  const C = xs[1];
  const ones = k.floats(new Array(C * product(kernel)).fill(1), [C, 1, ...kernel]);
  // Choose end pads (or output_padding) so the transpose lands exactly on X's shape.
  const padsEnd: number[] = [];
  const outputPadding: number[] = [];
  for (let i = 0; i < sd; i++) {
    const pe = geo.strides[i] * (ys[2 + i] - 1) + kernel[i] - geo.padsBegin[i] - xs[2 + i];
    padsEnd.push(Math.max(pe, 0));
    outputPadding.push(Math.max(-pe, 0));
  }
  return k.emit('ConvTranspose', [scaled, ones], {
    strides: geo.strides,
    pads: [...geo.padsBegin, ...padsEnd],
    group: C,
    output_padding: outputPadding,
  });
}

export const poolRules: RuleTable = {
  MaxPool: (k) => {
    const xs = k.shape(k.x(0));
    if (k.attr('storage_order', 0) !== 0) k.fail('storage_order=1 (column-major indices) is not supported');
    const indices = k.ensureOutput(1);
    const zeros = k.emit('ConstantOfShape', [k.ints([product(xs)])], {});
    const flatZeros = k.dtype(k.x(0)) === 'float32' ? zeros : k.emit('Cast', [zeros], { to: 11 });
    const scattered = k.emit(
      'ScatterElements',
      [flatZeros, k.emit('Reshape', [indices, k.ints([-1])]), k.emit('Reshape', [k.dy(0)!, k.ints([-1])])],
      { axis: 0, reduction: 'add' },
    );
    return [k.emit('Reshape', [scattered, k.ints(xs)])];
  },
  AveragePool: (k) => [avgPoolGrad(k)],
  GlobalAveragePool: (k) => {
    const xs = k.shape(k.x(0));
    const m = product(xs.slice(2));
    return [k.emit('Expand', [k.emit('Mul', [k.dy(0)!, k.scalar(1 / m)]), k.ints(xs)])];
  },
  GlobalMaxPool: (k) => {
    const xs = k.shape(k.x(0));
    const mask = k.emit('Cast', [k.emit('Equal', [k.x(0), k.y(0)])], { to: k.dtype(k.x(0)) === 'float64' ? 11 : 1 });
    const count = k.reduce('ReduceSum', mask, Array.from({ length: xs.length - 2 }, (_, i) => i + 2), true);
    return [k.emit('Mul', [mask, k.emit('Div', [k.dy(0)!, count])])];
  },
};
