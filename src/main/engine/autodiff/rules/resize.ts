/**
 * Resize (nearest, linear) backward. Resize is separable: along each resized axis y = A x with A an [out, in]
 * interpolation matrix built here from ORT's coordinate formulas, so dx = A^T dy, one MatMul per axis.
 * Two fast paths avoid the dense matrices where they would dominate the step time:
 * - nearest with an integer factor whose index map is floor(j / f): dx = block sums of dy (Reshape + ReduceSum);
 * - linear x2 with half_pixel / pytorch_half_pixel (PyTorch's bilinear upsample, align_corners=False): along
 *   each axis dx[i] = .25 dy[2i-1] + .75 dy[2i] + .75 dy[2i+1] + .25 dy[2i+2] with dy edge-padded, i.e. one
 *   depthwise stride-2 Conv with a 4x4 kernel over Pad(dy, edge). Both are checked against the matrix in tests.
 */
import type { RuleTable, VjpKit } from '../kit.js';

type CoordMode = 'half_pixel' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric' | 'tf_half_pixel_for_nn';

function sourceCoord(mode: CoordMode, j: number, scale: number, inLen: number, outLen: number): number {
  const f = Math.fround;
  switch (mode) {
    case 'half_pixel': return f(f(f(j + 0.5) / f(scale)) - 0.5);
    case 'pytorch_half_pixel': return outLen > 1 ? f(f(f(j + 0.5) / f(scale)) - 0.5) : 0;
    case 'align_corners': return outLen === 1 ? 0 : f(f(j * (inLen - 1)) / f(outLen - 1));
    case 'asymmetric': return f(j / f(scale));
    case 'tf_half_pixel_for_nn': return f(f(j + 0.5) / f(scale));
  }
}

function nearestIndex(x: number, mode: string, inLen: number): number {
  let i: number;
  switch (mode) {
    case 'floor': i = Math.floor(x); break;
    case 'ceil': i = Math.ceil(x); break;
    case 'round_prefer_ceil': i = Math.round(x); break;
    default: i = x === Math.floor(x) + 0.5 ? Math.floor(x) : Math.round(x); // round_prefer_floor
  }
  return Math.min(Math.max(i, 0), inLen - 1);
}

/** Row-major [out, in] interpolation matrix of one axis. */
export function resizeMatrix(mode: 'nearest' | 'linear', coord: CoordMode, nearestMode: string, inLen: number, outLen: number, scale: number): Float64Array {
  const a = new Float64Array(outLen * inLen);
  for (let j = 0; j < outLen; j++) {
    const x = sourceCoord(coord, j, scale, inLen, outLen);
    if (mode === 'nearest') {
      a[j * inLen + nearestIndex(x, nearestMode, inLen)] = 1;
    } else {
      const xc = Math.min(Math.max(x, 0), inLen - 1);
      const x0 = Math.floor(xc);
      const x1 = Math.min(x0 + 1, inLen - 1);
      const w = xc - x0;
      a[j * inLen + x0] += 1 - w;
      a[j * inLen + x1] += w;
    }
  }
  return a;
}

function isBlockNearest(a: Float64Array, inLen: number, outLen: number): boolean {
  if (outLen % inLen !== 0) return false;
  const f = outLen / inLen;
  for (let j = 0; j < outLen; j++) if (a[j * inLen + Math.floor(j / f)] !== 1) return false;
  return true;
}

function transposed(a: Float64Array, rows: number, cols: number): number[] {
  const t = new Array<number>(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
  return t;
}

/** dx along one axis = A^T dy, moving the axis last when it is not one of the last two. */
function applyTransposeAlong(k: VjpKit, g: string, shape: number[], axis: number, a: Float64Array, inLen: number): string {
  const rank = shape.length;
  const outLen = shape[axis];
  if (axis === rank - 1) return k.emit('MatMul', [g, k.floats(Array.from(a), [outLen, inLen])]);
  if (axis === rank - 2) return k.emit('MatMul', [k.floats(transposed(a, outLen, inLen), [inLen, outLen]), g]);
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[axis], perm[rank - 1]] = [perm[rank - 1], perm[axis]];
  const moved = k.emit('Transpose', [g], { perm });
  return k.emit('Transpose', [k.emit('MatMul', [moved, k.floats(Array.from(a), [outLen, inLen])])], { perm });
}

export const resizeRules: RuleTable = {
  Resize: (k) => {
    const xs = k.shape(k.x(0));
    const ys = k.shape(k.y(0));
    const rank = xs.length;
    const mode = k.attr('mode', 'nearest');
    const coord = k.attr('coordinate_transformation_mode', 'half_pixel') as CoordMode;
    const nearestMode = k.attr('nearest_mode', 'round_prefer_floor');
    if (mode !== 'nearest' && mode !== 'linear') k.fail(`mode "${mode}" is not supported (nearest and linear are)`);
    if (k.attr('antialias', 0) !== 0) k.fail('antialias is not supported');
    if (!['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'].includes(coord)) {
      k.fail(`coordinate_transformation_mode "${coord}" is not supported`);
    }
    const scalesIn = k.hasX(2) ? k.values(k.x(2)) : undefined;
    const scales = scalesIn && scalesIn.length === rank ? scalesIn : xs.map((d, i) => ys[i] / d);
    const axes = xs.map((_, i) => i).filter((i) => xs[i] !== ys[i] || scales[i] !== 1);
    if (axes.some((i) => i < 2)) k.fail('resizing the batch or channel axis is not supported');
    const mats = axes.map((i) => resizeMatrix(mode as 'nearest' | 'linear', coord, nearestMode, xs[i], ys[i], scales[i]));
    let g = k.dy(0)!;

    if (mode === 'nearest' && axes.every((ax, n) => isBlockNearest(mats[n], xs[ax], ys[ax]))) {
      const split = ys.flatMap((d, i) => (axes.includes(i) ? [xs[i], d / xs[i]] : [d]));
      const sumAxes: number[] = [];
      let pos = 0;
      ys.forEach((_, i) => {
        if (axes.includes(i)) {
          sumAxes.push(pos + 1);
          pos += 2;
        } else pos += 1;
      });
      return [k.reduce('ReduceSum', k.emit('Reshape', [g, k.ints(split)]), sumAxes, false), null, null, null];
    }

    const bilinear2 =
      mode === 'linear' && rank === 4 && (coord === 'half_pixel' || coord === 'pytorch_half_pixel') &&
      axes.length === 2 && axes.every((i) => ys[i] === 2 * xs[i] && scales[i] === 2 && xs[i] > 1);
    if (bilinear2) {
      const C = xs[1];
      const w1 = [0.25, 0.75, 0.75, 0.25];
      const kernel = new Array<number>(C * 16);
      for (let c = 0; c < C; c++) for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) kernel[c * 16 + i * 4 + j] = w1[i] * w1[j];
      const padded = k.emit('Pad', [g, k.ints([0, 0, 1, 1, 0, 0, 1, 1])], { mode: 'edge' });
      return [k.emit('Conv', [padded, k.floats(kernel, [C, 1, 4, 4])], { strides: [2, 2], group: C }), null, null, null];
    }

    const shape = [...ys];
    axes.forEach((ax, n) => {
      g = applyTransposeAlong(k, g, shape, ax, mats[n], xs[ax]);
      shape[ax] = xs[ax];
    });
    return [g, null, null, null];
  },
};
