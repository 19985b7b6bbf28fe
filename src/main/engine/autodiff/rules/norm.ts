/**
 * Normalizations. With xhat = (x - mean) * invstd over the reduced axes R (|R| = m elements):
 *   dbias = sum_R dy,  dscale = sum_R dy*xhat,
 *   dx = scale*invstd * (dy - mean_R(dy) - xhat*mean_R(dy*xhat))        (batch statistics)
 *   dx = scale*invstd * dy                                              (fixed statistics, inference mode)
 * BatchNormalization in training mode (opset 14+ training_mode=1; opset-13 models are normalised to it)
 * differentiates through the batch statistics; its running-mean/var outputs carry no gradient (PyTorch buffers).
 */
import type { RuleTable, VjpKit } from '../kit.js';

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => i + from);
}

/** A per-channel vector [C] reshaped to broadcast against [N, C, *S]. */
function perChannel(k: VjpKit, v: string, rank: number, channels?: number): string {
  const c = channels ?? k.shape(v)[0];
  return k.emit('Reshape', [v, k.ints([c, ...new Array(rank - 2).fill(1)])]);
}

/** Normalises x over `axes` and returns {xhat, invstd} (keepdims shapes). */
function standardize(k: VjpKit, x: string, axes: number[], eps: number): { xhat: string; invstd: string } {
  const mu = k.reduce('ReduceMean', x, axes, true);
  const xc = k.emit('Sub', [x, mu]);
  const v = k.reduce('ReduceMean', k.emit('Mul', [xc, xc]), axes, true);
  const invstd = k.emit('Reciprocal', [k.emit('Sqrt', [k.emit('Add', [v, k.scalar(eps)])])]);
  return { xhat: k.emit('Mul', [xc, invstd]), invstd };
}

/** dy - mean(dy) - xhat*mean(dy*xhat) over `axes`, given the keepdims sums of dy and dy*xhat and 1/m. */
function centered(k: VjpKit, dy: string, xhat: string, sumDy: string, sumDyXhat: string, invM: number): string {
  const a = k.emit('Mul', [sumDy, k.scalar(invM)]);
  const b = k.emit('Mul', [xhat, k.emit('Mul', [sumDyXhat, k.scalar(invM)])]);
  return k.emit('Sub', [k.emit('Sub', [dy, a]), b]);
}

/**
 * Training-mode BatchNormalization backward in the per-channel affine form dx = k1*dy + k2*xc + k3, with
 * xc = x - mean, k1 = gamma*invstd, k2 = -k1*invstd^2*sum(dy*xc)/m, k3 = -k1*sum(dy)/m: algebraically the usual
 * gamma*invstd*(dy - mean(dy) - xhat*mean(dy*xhat)), with fewer full-size passes (xhat is never materialised).
 * k2*xc + k3 stays Mul + Add although one inference-mode BatchNormalization (mean 0, var 1, epsilon 0) measured
 * ~4 % faster on CPU: ORT's CUDA provider clamps BatchNormalization's epsilon to cuDNN's minimum (1e-5), which
 * would make that form inexact on the GPU. README "Session 5" has the A/B.
 */
function batchNormTrainingVjp(k: VjpKit, red: number[], eps: number): (string | null)[] {
  const xs = k.shape(k.x(0));
  const rank = xs.length;
  const C = xs[1];
  const m = xs.reduce((a, b) => a * b, 1) / C;
  const dy = k.dy(0)!;
  const xc = k.emit('Sub', [k.x(0), k.reduce('ReduceMean', k.x(0), red, true)]);
  const variance = k.reduce('ReduceMean', k.emit('Mul', [xc, xc]), red, true);
  const invstd = k.emit('Reciprocal', [k.emit('Sqrt', [k.emit('Add', [variance, k.scalar(eps)])])]);
  const sumDy = k.reduce('ReduceSum', dy, red, true);
  const sumDyXc = k.reduce('ReduceSum', k.emit('Mul', [dy, xc]), red, true);
  const flat = (v: string) => k.emit('Reshape', [v, k.ints([C])]);
  let dx: string | null = null;
  if (k.needs(0)) {
    const k1 = k.emit('Mul', [perChannel(k, k.x(1), rank), invstd]);
    const negK1OverM = k.emit('Mul', [k1, k.scalar(-1 / m)]);
    const k2 = k.emit('Mul', [negK1OverM, k.emit('Mul', [k.emit('Mul', [invstd, invstd]), sumDyXc])]);
    const k3 = k.emit('Mul', [negK1OverM, sumDy]);
    const shifted = k.emit('Add', [k.emit('Mul', [xc, k2]), k3]);
    dx = k.emit('Add', [k.emit('Mul', [dy, k1]), shifted]);
  }
  return [dx, k.needs(1) ? flat(k.emit('Mul', [sumDyXc, invstd])) : null, k.needs(2) ? flat(sumDy) : null, null, null];
}

export const normRules: RuleTable = {
  BatchNormalization: (k) => {
    const xs = k.shape(k.x(0));
    const rank = xs.length;
    const eps = k.attr('epsilon', 1e-5);
    const red = [0, ...range(2, rank)];
    const C = xs[1];
    const dy = k.dy(0)!;
    const training = k.attr('training_mode', 0) === 1;
    if (training) return batchNormTrainingVjp(k, red, eps);
    const invstd = k.emit('Reciprocal', [k.emit('Sqrt', [k.emit('Add', [k.x(4), k.scalar(eps)])])]);
    const scaleInv = k.emit('Mul', [k.x(1), invstd]);
    const xc = k.emit('Sub', [k.x(0), perChannel(k, k.x(3), rank)]);
    const sumDy = k.reduce('ReduceSum', dy, red, false);
    const sumDyXc = k.needs(1) || k.needs(4) ? k.reduce('ReduceSum', k.emit('Mul', [dy, xc]), red, false) : '';
    return [
      k.needs(0) ? k.emit('Mul', [dy, perChannel(k, scaleInv, rank, C)]) : null,
      k.needs(1) ? k.emit('Mul', [sumDyXc, invstd]) : null,
      k.needs(2) ? sumDy : null,
      k.needs(3) ? k.emit('Neg', [k.emit('Mul', [sumDy, scaleInv])]) : null,
      k.needs(4)
        ? k.emit('Mul', [k.emit('Mul', [sumDyXc, scaleInv]), k.emit('Mul', [k.emit('Mul', [invstd, invstd]), k.scalar(-0.5)])])
        : null,
    ];
  },
  InstanceNormalization: (k) => {
    const xs = k.shape(k.x(0));
    const rank = xs.length;
    const eps = k.attr('epsilon', 1e-5);
    const red = range(2, rank);
    const m = xs.slice(2).reduce((a, b) => a * b, 1);
    const dy = k.dy(0)!;
    const { xhat, invstd } = standardize(k, k.x(0), red, eps);
    const dyXhat = k.emit('Mul', [dy, xhat]);
    const out: (string | null)[] = [null, null, null];
    if (k.needs(0)) {
      const sumDy = k.reduce('ReduceSum', dy, red, true);
      const sumDyXhat = k.reduce('ReduceSum', dyXhat, red, true);
      out[0] = k.emit('Mul', [k.emit('Mul', [perChannel(k, k.x(1), rank), invstd]), centered(k, dy, xhat, sumDy, sumDyXhat, 1 / m)]);
    }
    if (k.needs(1)) out[1] = k.reduce('ReduceSum', dyXhat, [0, ...red], false);
    if (k.needs(2)) out[2] = k.reduce('ReduceSum', dy, [0, ...red], false);
    return out;
  },
  LayerNormalization: (k) => {
    const xs = k.shape(k.x(0));
    const rank = xs.length;
    let axis = k.attr('axis', -1);
    if (axis < 0) axis += rank;
    const eps = k.attr('epsilon', 1e-5);
    const red = range(axis, rank);
    const lead = range(0, axis);
    const m = xs.slice(axis).reduce((a, b) => a * b, 1);
    const dy = k.dy(0)!;
    const { xhat, invstd } = standardize(k, k.x(0), red, eps);
    const sumLead = (v: string): string =>
      lead.length ? k.reduce('ReduceSum', v, lead, false) : v;
    const out: (string | null)[] = [null, null, null];
    if (k.needs(0)) {
      const gs = k.emit('Mul', [dy, k.x(1)]);
      const sumG = k.reduce('ReduceSum', gs, red, true);
      const sumGXhat = k.reduce('ReduceSum', k.emit('Mul', [gs, xhat]), red, true);
      out[0] = k.emit('Mul', [invstd, centered(k, gs, xhat, sumG, sumGXhat, 1 / m)]);
    }
    if (k.needs(1)) out[1] = k.unbroadcast(sumLead(k.emit('Mul', [dy, xhat])), xs.slice(axis), k.shape(k.x(1)));
    if (k.hasX(2) && k.needs(2)) out[2] = k.unbroadcast(sumLead(dy), xs.slice(axis), k.shape(k.x(2)));
    return out;
  },
};
