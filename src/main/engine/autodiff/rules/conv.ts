/**
 * Convolutions. Notation: X [N, C, *S] input, W [M, C/g, *K] weight, dy [N, M, *Sy], s stride, d dilation,
 * p = (begin, end) pads, g groups.
 *
 * Measured choices (ORT CPU, see ../README.md):
 * - dX of a stride-1 Conv is a Conv of dy with the flipped, group-transposed weight (pads (k-1)d - p);
 *   strided Convs use ConvTranspose(dy, W) with output_padding chosen to land on X's shape. When dy has few
 *   positions (< 64), either stride, ungrouped and with a kernel larger than 1 x 1: one GEMM over the batch +
 *   col2im (convInputGradByGemm).
 * - dW is im2col + GEMM (see convWeightGrad): 2-4x faster here than a Conv over the transposed batch.
 * ConvTranspose is the adjoint of Conv: its dX is Conv(dy, W), its dW is the same weight-gradient helper with
 * the roles of input and output swapped.
 */
import { readAttr, type RuleTable, type VjpKit } from '../kit.js';

export interface ConvGeometry {
  kernel: number[];
  strides: number[];
  dilations: number[];
  padsBegin: number[];
  padsEnd: number[];
  group: number;
}

function range(n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, i) => i + from);
}

/** Explicit pads for Conv/pool nodes, resolving auto_pad (SAME_UPPER, SAME_LOWER, VALID). */
export function convGeometry(k: VjpKit, inSpatial: number[], kernel: number[]): ConvGeometry {
  const sd = inSpatial.length;
  const strides = k.attr('strides', new Array(sd).fill(1) as number[]);
  const dilations = k.attr('dilations', new Array(sd).fill(1) as number[]);
  const pads = k.attr('pads', new Array(2 * sd).fill(0) as number[]);
  const autoPad = k.attr('auto_pad', 'NOTSET');
  const padsBegin = pads.slice(0, sd);
  const padsEnd = pads.slice(sd);
  if (autoPad === 'VALID') {
    padsBegin.fill(0);
    padsEnd.fill(0);
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    for (let i = 0; i < sd; i++) {
      const out = Math.ceil(inSpatial[i] / strides[i]);
      const total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inSpatial[i]);
      const small = Math.floor(total / 2);
      padsBegin[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      padsEnd[i] = total - padsBegin[i];
    }
  }
  return { kernel, strides, dilations, padsBegin, padsEnd, group: k.attr('group', 1) };
}

/** L (output positions) at or above which per-sample FusedMatMuls beat one flat Gemm over transposed copies. */
const BATCHED_MIN_POSITIONS = 128;

/** maxColsBytes: largest im2col buffer (bytes) one weight-gradient step may materialise; bigger batches are chunked.
 * gemmDxMaxPositions: dy positions below which dX is one GEMM + col2im (convInputGradByGemm).
 * Mutable only so tests and graph-build A/Bs can exercise the other paths. */
export const convTuning = { maxColsBytes: 64 * 2 ** 20, gemmDxMaxPositions: 64 };

/**
 * Weight gradient of out[n, o, h] = sum_{c in group(o), i} inp[n, c, h*s + i*d - p] * W[o, c_local, i], as
 * im2col + GEMM: cols = unfold(inp) is a depthwise Conv of inp with a constant one-hot kernel (two of them, rows then
 * columns, for 2-D kernels of 5x5 and more: see im2col), then dW = sum_n gout_n cols_n^T as a batched FusedMatMul
 * with transB (no transposed copies of the big operands; computed as (sum_n cols_n gout_n^T)^T when Cout is the
 * smaller side) summed over n by a MatMul with ones (sumOverBatch). When there are few output positions
 * (deep layers) one flat Gemm over [O, N*L] x [N*L, Cin*kk] is faster. Returns [O, Cin/g, *K].
 */
function convWeightGrad(k: VjpKit, inp: string, inpShape: number[], gout: string, goutShape: number[], geo: ConvGeometry): string {
  const [N, Cin] = inpShape;
  const kk = geo.kernel.reduce((a, b) => a * b, 1);
  const L = goutShape.slice(2).reduce((a, b) => a * b, 1);
  const perSample = Cin * kk * L * 4;
  const chunk = Math.max(1, Math.floor(convTuning.maxColsBytes / perSample));
  if (N <= chunk) return convWeightGradChunk(k, inp, inpShape, gout, goutShape, geo);
  // im2col of the whole batch would hold kk times the activation at once (900 MB for a 256 px U-Net layer):
  // split the batch and add the partial weight gradients; ORT frees each chunk's columns after use.
  const sizes: number[] = [];
  for (let n = 0; n < N; n += chunk) sizes.push(Math.min(chunk, N - n));
  const xs = k.emitN('Split', [inp, k.ints(sizes)], { axis: 0 }, sizes.length);
  const gs = k.emitN('Split', [gout, k.ints(sizes)], { axis: 0 }, sizes.length);
  const parts = sizes.map((n, i) => convWeightGradChunk(k, xs[i], [n, ...inpShape.slice(1)], gs[i], [n, ...goutShape.slice(1)], geo));
  return k.emit('Sum', parts);
}

/**
 * im2col as the depthwise Conv of a one-hot kernel: [N, C, *S] -> [N, C*kk, *L], channel c*kk + tap. The one-hot
 * Conv costs kk multiply-adds per output, so 2-D kernels of 5x5 and more unfold rows first, then columns (kh + kw per
 * output, same channel order, exact): the ResNet stem's 7x7/2 im2col (+ one consumer) 18.9 -> 13.8 ms, 5x5 16x32x64²
 * 68.1 -> 55.5, 7x7 8x16x64² 42.7 -> 26.7; 3x3 loses (11.0 -> 14.0), so it stays one Conv (1 thread, README session 5).
 */
function im2col(k: VjpKit, inp: string, C: number, geo: ConvGeometry): string {
  const name = `${k.node.name}/grad/dW_im2col`;
  // Attributes of the one-axis pass: the Conv's stride, dilation and pads on `axis`, identity on the other.
  const only = (v: number[], axis: number, other: number) => v.map((x, i) => (i === axis ? x : other));
  const along = (axis: number) => ({
    strides: only(geo.strides, axis, 1),
    dilations: only(geo.dilations, axis, 1),
    pads: [...only(geo.padsBegin, axis, 0), ...only(geo.padsEnd, axis, 0)],
  });
  if (geo.kernel.length === 2 && geo.kernel.every((kk) => kk >= 5)) {
    const [kh, kw] = geo.kernel;
    const rows = k.emit('Conv', [inp, oneHotKernel(k, C, [kh, 1])], { ...along(0), group: C }, `${name}_rows`);
    return k.emit('Conv', [rows, oneHotKernel(k, C * kh, [1, kw])], { ...along(1), group: C * kh }, name);
  }
  return k.emit('Conv', [inp, oneHotKernel(k, C, geo.kernel)], {
    strides: geo.strides,
    dilations: geo.dilations,
    pads: [...geo.padsBegin, ...geo.padsEnd],
    group: C,
  }, name);
}

/** The constant [C*kk, 1, *K] kernel whose depthwise Conv is im2col (and whose ConvTranspose is col2im). */
function oneHotKernel(k: VjpKit, C: number, kernel: number[]): string {
  const kk = kernel.reduce((a, b) => a * b, 1);
  const onehot = new Array<number>(C * kk * kk).fill(0);
  for (let c = 0; c < C; c++) for (let j = 0; j < kk; j++) onehot[(c * kk + j) * kk + j] = 1;
  return k.floats(onehot, [C * kk, 1, ...kernel]);
}

/**
 * dX through one GEMM over the whole batch, when dy has few positions: cols = dyᵀ W ([N*L, M] x [M, C*kk]),
 * then col2im as the ConvTranspose of the one-hot im2col kernel. ORT's ConvTranspose runs one GEMM per image with
 * only L columns. CPU time, 1 thread, min of 12 (README, session 4): ResNet layer4.0 (dy 16x512x4x4) 12.8 -> 8.4 ms,
 * layer3.0 (8x8) 8.1 -> 8.5, layer2.0 (16x16) 8.1 -> 11.8; hence only below 64 positions. Equal results (0 difference).
 */
function convInputGradByGemm(k: VjpKit, dy: string, w: string, xShape: number[], dyShape: number[], geo: ConvGeometry, outputPadding: number[]): string {
  const [N, M] = dyShape;
  const C = xShape[1];
  const ck = C * geo.kernel.reduce((a, b) => a * b, 1);
  const L = dyShape.slice(2).reduce((a, b) => a * b, 1);
  const rows = k.emit('Reshape', [k.emit('Transpose', [k.emit('Reshape', [dy, k.ints([N, M, L])])], { perm: [0, 2, 1] }), k.ints([N * L, M])]);
  const colRows = k.emit('Gemm', [rows, k.emit('Reshape', [w, k.ints([M, ck])])], {}, `${k.node.name}/grad/dX_gemm`);
  const cols = k.emit('Reshape', [k.emit('Transpose', [k.emit('Reshape', [colRows, k.ints([N, L, ck])])], { perm: [0, 2, 1] }), k.ints([N, ck, ...dyShape.slice(2)])]);
  return k.emit('ConvTranspose', [cols, oneHotKernel(k, C, geo.kernel)], {
    strides: geo.strides,
    dilations: geo.dilations,
    pads: [...geo.padsBegin, ...geo.padsEnd],
    group: C,
    output_padding: outputPadding,
  }, `${k.node.name}/grad/dX_col2im`);
}

function convWeightGradChunk(k: VjpKit, inp: string, inpShape: number[], gout: string, goutShape: number[], geo: ConvGeometry): string {
  const [N, Cin] = inpShape;
  const Cout = goutShape[1];
  const g = geo.group;
  const kk = geo.kernel.reduce((a, b) => a * b, 1);
  const L = goutShape.slice(2).reduce((a, b) => a * b, 1);
  const trivial = kk === 1 && geo.strides.every((v) => v === 1) && [...geo.padsBegin, ...geo.padsEnd].every((v) => v === 0);
  const cols = trivial ? inp : im2col(k, inp, Cin, geo);
  const wShape = [Cout, Cin / g, ...geo.kernel];
  if (g === 1 && (N === 1 || L < BATCHED_MIN_POSITIONS)) {
    const flat = (v: string, c: number): string =>
      N === 1
        ? k.emit('Reshape', [v, k.ints([c, L])])
        : k.emit('Reshape', [k.emit('Transpose', [k.emit('Reshape', [v, k.ints([N, c, L])])], { perm: [1, 0, 2] }), k.ints([c, N * L])]);
    const dw = k.emit('Gemm', [flat(gout, Cout), flat(cols, Cin * kk)], { transB: 1 }, `${k.node.name}/grad/dW_gemm`);
    return k.emit('Reshape', [dw, k.ints(wShape)]);
  }
  const gout4 = k.emit('Reshape', [gout, k.ints([N, g, Cout / g, L])]);
  const cols4 = k.emit('Reshape', [cols, k.ints([N, g, (Cin / g) * kk, L])]);
  // MLAS packs the transposed right operand on every call, so the smaller of the two goes there: with fewer output
  // channels than columns, cols · goutᵀ and a Transpose of the (weight-sized) sum. CPU time per dW GEMM, 1 thread
  // (README, session 4): ResNet layer1 64x576 16.5 -> 13.9 ms, U-Net 16x144 over 256² 7.1 -> 4.4 ms, 32x288 over
  // 128² 10.0 -> 6.7 ms; the other way round (256 outputs x 64 columns) 6.6 -> 7.7 ms, so only when Cout < columns.
  if (Cout / g < (Cin / g) * kk) {
    const mmT = k.emitDomain('com.microsoft', 'FusedMatMul', [cols4, gout4], { transB: 1 }, `${k.node.name}/grad/dW_matmul`);
    return k.emit('Reshape', [k.emit('Transpose', [sumOverBatch(k, mmT, [N, g, (Cin / g) * kk, Cout / g])], { perm: [0, 2, 1] }), k.ints(wShape)]);
  }
  const mm = k.emitDomain('com.microsoft', 'FusedMatMul', [gout4, cols4], { transB: 1 }, `${k.node.name}/grad/dW_matmul`);
  return k.emit('Reshape', [sumOverBatch(k, mm, [N, g, Cout / g, (Cin / g) * kk]), k.ints(wShape)]);
}

/**
 * Sum of the per-image dW products over the batch axis as ones[1, N] x v[N, rest]: ORT's ReduceSum over a leading
 * axis ran at ~3 GB/s (ResNet layer2's [16, 1152, 128]: 2.9 ms, 1 thread, CPU min; the MatMul 0.5 ms; README
 * session 5). Same sums up to float rounding (max difference 1e-6 on sums of size ~10).
 */
function sumOverBatch(k: VjpKit, v: string, shape: number[]): string {
  const [N, ...rest] = shape;
  const size = rest.reduce((a, b) => a * b, 1);
  const flat = k.emit('Reshape', [v, k.ints([N, size])]);
  return k.emit('Reshape', [k.emit('MatMul', [k.floats(new Array<number>(N).fill(1), [1, N]), flat]), k.ints(rest)]);
}

/** Input gradient of a Conv: flipped-weight Conv for stride 1, ConvTranspose otherwise. */
function convInputGrad(k: VjpKit, dy: string, w: string, wShape: number[], xShape: number[], dyShape: number[], geo: ConvGeometry): string {
  const sd = xShape.length - 2;
  const flipPads = geo.kernel.flatMap((_, i) => [(geo.kernel[i] - 1) * geo.dilations[i] - geo.padsBegin[i]]);
  const flipPadsEnd = geo.kernel.map((kk, i) => (kk - 1) * geo.dilations[i] - geo.padsEnd[i]);
  // Stride 1: flip even when the weight is larger than dy. Per-node CPU time (1 thread, min of 5 steps, ORT
  // profile of the ResNet-18 step) showed ConvTranspose at 18-24 ms for the 512-channel 4x4 layers whose forward
  // Conv takes 8-9 ms; the flipped-weight Conv (weight Transpose + reversal MatMul included) took 15 vs 25 ms in
  // a same-process A/B (README, "Measured choices"). The earlier "ConvTranspose when the weight is larger"
  // choice came from noisy wall-clock timings at load ~20.
  const outputPadding = range(sd).map(
    (i) => xShape[2 + i] - ((dyShape[2 + i] - 1) * geo.strides[i] + (geo.kernel[i] - 1) * geo.dilations[i] + 1 - geo.padsBegin[i] - geo.padsEnd[i]),
  );
  // Few dy positions (ResNet's 4x4 layer4), any stride: one GEMM over the batch + col2im, which also needs no
  // weight Transpose. Stride 1, CPU min, 1 thread (README, session 4): 512-ch 4x4 17.7 -> 15.8 ms against the
  // flipped-weight Conv below, 256-ch 8x8 14.1 -> 17.0 (so not from 64 positions on).
  const positions = dyShape.slice(2).reduce((a, b) => a * b, 1);
  if (geo.group === 1 && geo.kernel.some((kk) => kk > 1) && positions < convTuning.gemmDxMaxPositions) {
    return convInputGradByGemm(k, dy, w, xShape, dyShape, geo, outputPadding);
  }
  const fitsFlip = geo.strides.every((s) => s === 1) && [...flipPads, ...flipPadsEnd].every((p) => p >= 0);
  if (fitsFlip) {
    const [M, Cg] = wShape;
    const g = geo.group;
    const wt = k.emit('Reshape', [
      k.emit('Transpose', [k.emit('Reshape', [w, k.ints([g, M / g, Cg, ...geo.kernel])])], { perm: [0, 2, 1, ...range(sd, 3)] }),
      k.ints([g * Cg, M / g, ...geo.kernel]),
    ]);
    // Flip the kernel by multiplying the flattened spatial axis with the reversal matrix J (a tiny GEMM; ORT's
    // negative-step Slice and Gather were both much slower on big weights).
    const kk = geo.kernel.reduce((a, b) => a * b, 1);
    const reversal = new Array<number>(kk * kk).fill(0);
    for (let i = 0; i < kk; i++) reversal[i * kk + (kk - 1 - i)] = 1;
    const flipped = kk === 1
      ? wt
      : k.emit('Reshape', [
          k.emit('MatMul', [k.emit('Reshape', [wt, k.ints([g * Cg * (M / g), kk])]), k.floats(reversal, [kk, kk])]),
          k.ints([g * Cg, M / g, ...geo.kernel]),
        ]);
    return k.emit('Conv', [dy, flipped], { dilations: geo.dilations, group: g, pads: [...flipPads, ...flipPadsEnd], strides: new Array(sd).fill(1) });
  }
  return k.emit('ConvTranspose', [dy, w], {
    strides: geo.strides,
    dilations: geo.dilations,
    pads: [...geo.padsBegin, ...geo.padsEnd],
    group: geo.group,
    output_padding: outputPadding,
  });
}

function biasGrad(k: VjpKit, rank: number): string {
  return k.reduce('ReduceSum', k.dy(0)!, [0, ...range(rank - 2, 2)], false);
}

export const convRules: RuleTable = {
  Conv: (k) => {
    const xs = k.shape(k.x(0));
    const ws = k.shape(k.x(1));
    const ys = k.shape(k.y(0));
    const geo = convGeometry(k, xs.slice(2), ws.slice(2));
    const g = k.dy(0)!;
    return [
      k.needs(0) ? convInputGrad(k, g, k.x(1), ws, xs, ys, geo) : null,
      k.needs(1) ? convWeightGrad(k, k.x(0), xs, g, ys, geo) : null,
      k.hasX(2) && k.needs(2) ? biasGrad(k, xs.length) : null,
    ];
  },
  ConvTranspose: (k) => {
    const xs = k.shape(k.x(0));
    const ws = k.shape(k.x(1));
    const ys = k.shape(k.y(0));
    const sd = xs.length - 2;
    const geo = convGeometry(k, xs.slice(2), ws.slice(2));
    if (readAttr(k.node, 'output_shape') !== undefined || ['SAME_UPPER', 'SAME_LOWER'].includes(k.attr('auto_pad', 'NOTSET'))) {
      // Pads are implied by the output shape: total = s(in-1) + output_padding + (k-1)d + 1 - out.
      const op = k.attr('output_padding', new Array(sd).fill(0) as number[]);
      const upper = k.attr('auto_pad', 'NOTSET') === 'SAME_UPPER';
      for (let i = 0; i < sd; i++) {
        const total = geo.strides[i] * (xs[2 + i] - 1) + op[i] + (geo.kernel[i] - 1) * geo.dilations[i] + 1 - ys[2 + i];
        const half = Math.floor(total / 2);
        geo.padsBegin[i] = upper ? half : total - half;
        geo.padsEnd[i] = total - geo.padsBegin[i];
      }
    }
    const g = k.dy(0)!;
    return [
      k.needs(0)
        ? k.emit('Conv', [g, k.x(1)], { strides: geo.strides, dilations: geo.dilations, pads: [...geo.padsBegin, ...geo.padsEnd], group: geo.group })
        : null,
      k.needs(1) ? convWeightGrad(k, g, ys, k.x(0), xs, geo) : null,
      k.hasX(2) && k.needs(2) ? biasGrad(k, xs.length) : null,
    ];
  },
};
