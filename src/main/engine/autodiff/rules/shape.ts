/**
 * Data-movement ops. Their gradients move dy back to where each element came from: Reshape-like ops reshape
 * back, Transpose inverts the permutation, Concat/Split swap roles, Slice/Pad pad or crop, Gather scatters-adds.
 */
import type { RuleTable, VjpKit } from '../kit.js';

const BIG = 2 ** 53 - 1;

function range(n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, i) => i + from);
}

function reshapeBack(k: VjpKit): (string | null)[] {
  return [k.emit('Reshape', [k.dy(0)!, k.ints(k.shape(k.x(0)))]), null];
}

function constInput(k: VjpKit, i: number, what: string): number[] | undefined {
  if (!k.hasX(i)) return undefined;
  const v = k.values(k.x(i));
  if (!v) k.fail(`its ${what} input is not a small constant`);
  return v;
}

function sliceAxis(k: VjpKit, g: string, axis: number, start: number, end: number, step = 1): string {
  return k.emit('Slice', [g, k.ints([start]), k.ints([end]), k.ints([axis]), k.ints([step])]);
}

function padAxis(k: VjpKit, g: string, rank: number, axis: number, before: number, after: number): string {
  if (before === 0 && after === 0) return g;
  const pads = new Array(2 * rank).fill(0);
  pads[axis] = before;
  pads[rank + axis] = after;
  return k.emit('Pad', [g, k.ints(pads)]);
}

/** Gradient of y = x[start : start + n*step : step] along one axis (step > 0), x of length D. */
function unsliceAxis(k: VjpKit, g: string, shape: number[], axis: number, D: number, start: number, step: number): string {
  const n = shape[axis];
  let out = g;
  if (step > 1) {
    // Interleave zeros: [.., n, ..] -> [.., n, 1, ..] -> pad to [.., n, step, ..] -> [.., n*step, ..].
    const rank = shape.length;
    const unsq = k.emit('Unsqueeze', [out, k.ints([axis + 1])]);
    const padded = padAxis(k, unsq, rank + 1, axis + 1, 0, step - 1);
    const merged = [...shape];
    merged[axis] = n * step;
    out = sliceAxis(k, k.emit('Reshape', [padded, k.ints(merged)]), axis, 0, (n - 1) * step + 1);
  }
  const span = n === 0 ? 0 : (n - 1) * step + 1;
  return padAxis(k, out, shape.length, axis, start, D - start - span);
}

export const shapeRules: RuleTable = {
  Reshape: reshapeBack,
  Flatten: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  // Expand broadcasts: the walker sums dy back to x's shape.
  Expand: Object.assign((k: VjpKit) => [k.dy(0)!, null], { broadcasts: true }),
  Transpose: (k) => {
    const rank = k.shape(k.x(0)).length;
    const perm = k.attr('perm', range(rank).reverse());
    const inv = new Array<number>(rank);
    perm.forEach((p, i) => (inv[p] = i));
    return [k.emit('Transpose', [k.dy(0)!], { perm: inv })];
  },
  Concat: (k) => {
    const rank = k.shape(k.y(0)).length;
    let axis = k.attr('axis', 0);
    if (axis < 0) axis += rank;
    const sizes = k.node.input!.map((x) => k.shape(x)[axis]);
    return k.emitN('Split', [k.dy(0)!, k.ints(sizes)], { axis }, sizes.length);
  },
  Split: (k) => {
    const rank = k.shape(k.x(0)).length;
    let axis = k.attr('axis', 0);
    if (axis < 0) axis += rank;
    return [k.emit('Concat', k.node.output!.map((_, i) => k.dyOrZeros(i)), { axis }), null];
  },
  Slice: (k) => {
    const xs = k.shape(k.x(0));
    const starts = constInput(k, 1, 'starts')!;
    const ends = constInput(k, 2, 'ends')!;
    const axes = (constInput(k, 3, 'axes') ?? range(starts.length)).map((a) => (a < 0 ? a + xs.length : a));
    const steps = constInput(k, 4, 'steps') ?? new Array(starts.length).fill(1);
    let g = k.dy(0)!;
    const shape = [...k.shape(k.y(0))];
    axes.forEach((axis, i) => {
      const D = xs[axis];
      const step = steps[i];
      const n = shape[axis];
      let s = starts[i] < 0 ? starts[i] + D : starts[i];
      s = step > 0 ? Math.min(Math.max(s, 0), D) : Math.min(Math.max(s, 0), D - 1);
      if (step < 0) {
        // Reverse the gradient along the axis; it is then a positive-step slice from the last element taken.
        g = sliceAxis(k, g, axis, -1, -BIG, -1);
        s = s - (n - 1) * -step;
      }
      g = unsliceAxis(k, g, shape, axis, D, n === 0 ? 0 : s, Math.abs(step));
      shape[axis] = D;
    });
    return [g, null, null, null, null];
  },
  Pad: (k) => {
    const xs = k.shape(k.x(0));
    const rank = xs.length;
    const mode = k.attr('mode', 'constant');
    const raw = constInput(k, 1, 'pads')!;
    const axes = (constInput(k, 3, 'axes') ?? range(rank)).map((a) => (a < 0 ? a + rank : a));
    const before = new Array(rank).fill(0);
    const after = new Array(rank).fill(0);
    axes.forEach((a, i) => {
      before[a] = raw[i];
      after[a] = raw[axes.length + i];
    });
    let g = k.dy(0)!;
    const shape = [...k.shape(k.y(0))];
    for (let a = 0; a < rank; a++) {
      const pb = before[a];
      const pe = after[a];
      if (pb === 0 && pe === 0) continue;
      const D = xs[a];
      if (mode === 'constant' || (pb <= 0 && pe <= 0)) {
        // Crop what was padded, pad back what was cropped (negative pads).
        const center = sliceAxis(k, g, a, Math.max(pb, 0), Math.max(pb, 0) + D + Math.min(pb, 0) + Math.min(pe, 0));
        g = padAxis(k, center, rank, a, Math.max(-pb, 0), Math.max(-pe, 0));
      } else if (mode === 'reflect') {
        if (pb < 0 || pe < 0) k.fail('reflect padding with negative pads is not supported');
        // out[pb - j] = x[j] for 1 <= j <= pb, and out[pb + D - 1 + j] = x[D - 1 - j] for 1 <= j <= pe.
        const parts = [sliceAxis(k, g, a, pb, pb + D)];
        if (pb > 0) parts.push(padAxis(k, sliceAxis(k, g, a, pb - 1, -BIG, -1), rank, a, 1, D - 1 - pb));
        if (pe > 0) parts.push(padAxis(k, sliceAxis(k, g, a, pb + D + pe - 1, pb + D - 1, -1), rank, a, D - 1 - pe, 1));
        g = parts.length === 1 ? parts[0] : k.emit('Sum', parts);
      } else if (mode === 'edge') {
        if (pb < 0 || pe < 0) k.fail('edge padding with negative pads is not supported');
        const parts = [sliceAxis(k, g, a, pb, pb + D)];
        if (pb > 0) parts.push(padAxis(k, k.reduce('ReduceSum', sliceAxis(k, g, a, 0, pb), [a], true), rank, a, 0, D - 1));
        if (pe > 0) parts.push(padAxis(k, k.reduce('ReduceSum', sliceAxis(k, g, a, pb + D, BIG), [a], true), rank, a, D - 1, 0));
        g = parts.length === 1 ? parts[0] : k.emit('Sum', parts);
      } else {
        k.fail(`pad mode "${mode}" is not supported (constant, reflect and edge are)`);
      }
      shape[a] = D;
    }
    return [g, null, null, null];
  },
  // y = data.take(indices, axis): scatter-add dy back into zeros, with the gathered axis moved to the front.
  Gather: (k) => {
    const xs = k.shape(k.x(0));
    const rank = xs.length;
    let axis = k.attr('axis', 0);
    if (axis < 0) axis += rank;
    const ri = k.shape(k.x(1)).length;
    let idx = k.dtype(k.x(1)) === 'int64' ? k.x(1) : k.emit('Cast', [k.x(1)], { to: 7 });
    const zero = k.ints([0]);
    idx = k.emit('Where', [k.emit('Less', [idx, zero]), k.emit('Add', [idx, k.ints([xs[axis]])]), idx]);
    if (ri === 0) idx = k.emit('Reshape', [idx, k.ints([])]); // the [1]-shaped constants broadcast a scalar index up
    idx = k.emit('Unsqueeze', [idx, k.ints([-1])]);
    const p = [axis, ...range(axis), ...range(rank - axis - 1, axis + 1)];
    const q = [...range(ri, axis), ...range(axis), ...range(rank - axis - 1, axis + ri)];
    const zerosShape = p.map((i) => xs[i]);
    const zeros0 = k.emit('ConstantOfShape', [k.ints(zerosShape)], {});
    const zeros = k.dtype(k.x(0)) === 'float32' ? zeros0 : k.emit('Cast', [zeros0], { to: 11 });
    const dyT = axis === 0 ? k.dy(0)! : k.emit('Transpose', [k.dy(0)!], { perm: q });
    const scattered = k.emit('ScatterND', [zeros, idx, dyT], { reduction: 'add' });
    if (axis === 0) return [scattered, null];
    const inv = new Array<number>(rank);
    p.forEach((v, i) => (inv[v] = i));
    return [k.emit('Transpose', [scattered], { perm: inv }), null];
  },
  GatherElements: (k) => {
    const xs = k.shape(k.x(0));
    const zeros0 = k.emit('ConstantOfShape', [k.ints(xs)], {});
    const zeros = k.dtype(k.x(0)) === 'float32' ? zeros0 : k.emit('Cast', [zeros0], { to: 11 });
    return [k.emit('ScatterElements', [zeros, k.x(1), k.dy(0)!], { axis: k.attr('axis', 0), reduction: 'add' }), null];
  },
  Tile: (k) => {
    const xs = k.shape(k.x(0));
    const reps = constInput(k, 1, 'repeats')!;
    const split = xs.flatMap((d, i) => [reps[i], d]);
    const r = k.emit('Reshape', [k.dy(0)!, k.ints(split)]);
    return [k.reduce('ReduceSum', r, xs.map((_, i) => 2 * i), false), null];
  },
  // Dropout: identity at inference (or ratio 0); otherwise the mask output scales the gradient.
  Dropout: (k) => {
    const ratio = k.hasX(1) ? (k.values(k.x(1))?.[0] ?? 0) : k.attr('ratio', 0.5);
    const training = k.hasX(2) ? (k.values(k.x(2))?.[0] ?? 0) !== 0 : false;
    if (!training || ratio === 0) return [k.dy(0)!, null, null];
    const mask = k.emit('Cast', [k.ensureOutput(1)], { to: k.dtype(k.x(0)) === 'float64' ? 11 : 1 });
    return [k.emit('Mul', [k.dy(0)!, k.emit('Mul', [mask, k.scalar(1 / (1 - ratio))])]), null, null];
  },
};
