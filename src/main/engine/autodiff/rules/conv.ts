/**
 * Convolutions. Notation: X [N, C, *S] input, W [M, C/g, *K] weight, dy [N, M, *Sy], s stride, d dilation,
 * p = (begin, end) pads, g groups.
 *
 * Measured choices (ORT CPU, see ../README.md):
 * - dX of a stride-1 Conv is a Conv of dy with the flipped, group-transposed weight (pads (k-1)d - p); for
 *   strided Convs it is ConvTranspose(dy, W) with output_padding chosen to land on X's shape.
 * - dW is a Conv "over the transposed batch": channels become the batch and the batch becomes channels, so
 *   dW[m, c] = sum_n X[n, c] * dy[n, m] is one ORT Conv with dy as the kernel (stride and dilation swap roles).
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

/**
 * Weight gradient of out[n, o, h] = sum_{c in group(o), i} inp[n, c, h*s + i*d - p] * W[o, c_local, i].
 * Returns [O, Cin/g, *K].
 */
function convWeightGrad(k: VjpKit, inp: string, inpShape: number[], gout: string, goutShape: number[], geo: ConvGeometry): string {
  const sd = inpShape.length - 2;
  const perm01 = [1, 0, ...range(sd, 2)];
  const [N, Cin] = inpShape;
  const Cout = goutShape[1];
  const padsEnd: number[] = [];
  const outK: number[] = [];
  for (let i = 0; i < sd; i++) {
    const needed = (goutShape[2 + i] - 1) * geo.strides[i] + (geo.kernel[i] - 1) * geo.dilations[i] + 1;
    padsEnd.push(Math.max(0, needed - inpShape[2 + i] - geo.padsBegin[i]));
    const span = inpShape[2 + i] + geo.padsBegin[i] + padsEnd[i] - ((goutShape[2 + i] - 1) * geo.strides[i] + 1);
    outK.push(Math.floor(span / geo.dilations[i]) + 1);
  }
  const attrs = { strides: geo.dilations, dilations: geo.strides, pads: [...geo.padsBegin, ...padsEnd] };
  const crop = (r: string): string =>
    outK.every((v, i) => v === geo.kernel[i])
      ? r
      : k.emit('Slice', [r, k.ints(new Array(sd).fill(0)), k.ints(geo.kernel), k.ints(range(sd, 2))]);
  const gt = k.emit('Transpose', [gout], { perm: perm01 });
  if (geo.group === 1) {
    const xt = k.emit('Transpose', [inp], { perm: perm01 });
    return k.emit('Transpose', [crop(k.emit('Conv', [xt, gt], attrs))], { perm: perm01 });
  }
  if (Cin === geo.group) {
    // Depthwise: the channel-major batch [1, C*N] with group C pairs each channel with its own outputs.
    const xt = k.emit('Reshape', [k.emit('Transpose', [inp], { perm: perm01 }), k.ints([1, Cin * N, ...inpShape.slice(2)])]);
    const r = crop(k.emit('Conv', [xt, gt], { ...attrs, group: Cin }));
    return k.emit('Reshape', [r, k.ints([Cout, 1, ...geo.kernel])]);
  }
  const g = geo.group;
  const xs = k.emitN('Split', [inp, k.ints(new Array(g).fill(Cin / g))], { axis: 1 }, g);
  const gs = k.emitN('Split', [gout, k.ints(new Array(g).fill(Cout / g))], { axis: 1 }, g);
  const parts = xs.map((xi, i) => {
    const xt = k.emit('Transpose', [xi], { perm: perm01 });
    const gti = k.emit('Transpose', [gs[i]], { perm: perm01 });
    return k.emit('Transpose', [crop(k.emit('Conv', [xt, gti], attrs))], { perm: perm01 });
  });
  return k.emit('Concat', parts, { axis: 0 });
}

/** Input gradient of a Conv: flipped-weight Conv for stride 1, ConvTranspose otherwise. */
function convInputGrad(k: VjpKit, dy: string, w: string, wShape: number[], xShape: number[], dyShape: number[], geo: ConvGeometry): string {
  const sd = xShape.length - 2;
  const flipPads = geo.kernel.flatMap((_, i) => [(geo.kernel[i] - 1) * geo.dilations[i] - geo.padsBegin[i]]);
  const flipPadsEnd = geo.kernel.map((kk, i) => (kk - 1) * geo.dilations[i] - geo.padsEnd[i]);
  const fitsFlip = geo.strides.every((s) => s === 1) && [...flipPads, ...flipPadsEnd].every((p) => p >= 0);
  if (fitsFlip) {
    const [M, Cg] = wShape;
    const g = geo.group;
    const wt = k.emit('Reshape', [
      k.emit('Transpose', [k.emit('Reshape', [w, k.ints([g, M / g, Cg, ...geo.kernel])])], { perm: [0, 2, 1, ...range(sd, 3)] }),
      k.ints([g * Cg, M / g, ...geo.kernel]),
    ]);
    const big = -(2 ** 53) + 1;
    const flipped = k.emit('Slice', [wt, k.ints(new Array(sd).fill(-1)), k.ints(new Array(sd).fill(big)), k.ints(range(sd, 2)), k.ints(new Array(sd).fill(-1))]);
    return k.emit('Conv', [dy, flipped], { dilations: geo.dilations, group: g, pads: [...flipPads, ...flipPadsEnd], strides: new Array(sd).fill(1) });
  }
  const outputPadding = range(sd).map(
    (i) => xShape[2 + i] - ((dyShape[2 + i] - 1) * geo.strides[i] + (geo.kernel[i] - 1) * geo.dilations[i] + 1 - geo.padsBegin[i] - geo.padsEnd[i]),
  );
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
