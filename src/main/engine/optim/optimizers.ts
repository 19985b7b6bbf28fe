/**
 * Optimizer update rules as ONNX nodes, matching torch.optim's formulas (Adam's last line is rearranged, see
 * emitUpdate, to save one full-size pass; equal up to float rounding):
 *   SGD:   g += wd*w;  b = mu*b + (1-dampening)*g;  u = nesterov ? g + mu*b : b;  w -= lr*u
 *   Adam:  g += wd*w;  m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;
 *          w -= (lr / (1-b1^t)) * m / (sqrt(v) / sqrt(1-b2^t) + eps)
 *   AdamW: w *= 1 - lr*wd, then Adam without the L2 term.
 * Adam's state holds the moments scaled by their EMA weight, ms = m/(1-b1) and vs = v/(1-b2) (slots `ms`, `vs`):
 * ms' = b1*ms + g and vs' = b2*vs + g^2 need one full-size Mul fewer each than torch's form (see emitUpdate).
 * `lr` and `t` (1-based step) are scalar graph inputs, so schedules need no graph rebuild.
 * Note: torch's SGD sets b = g on the first step; with zero-initialised b and dampening 0 that is the same.
 */
import type { GraphBuilder } from '../onnx/graph.js';

export type OptimizerConfig =
  | { kind: 'sgd'; momentum?: number; nesterov?: boolean; dampening?: number; weightDecay?: number }
  | { kind: 'adam' | 'adamw'; beta1?: number; beta2?: number; eps?: number; weightDecay?: number };

/** Names of one parameter's optimizer state slots (zero-initialised, same shape as the parameter). */
export function stateSlots(cfg: OptimizerConfig): string[] {
  if (cfg.kind === 'sgd') return (cfg.momentum ?? 0) !== 0 ? ['momentum'] : [];
  // Scaled moments (not torch's m, v): named differently so a checkpoint holding unscaled `opt.m.*` / `opt.v.*`
  // is not silently read with the wrong scale (legacySlot converts it on resume).
  return ['ms', 'vs'];
}

/**
 * A checkpoint written before the scaled moments (torch's unscaled `opt.m.*` / `opt.v.*`) still resumes: slot
 * `ms` is read from `m` times 1/(1-b1), `vs` from `v` times 1/(1-b2). Null where a slot has no older form.
 */
export function legacySlot(cfg: OptimizerConfig, slot: string): { slot: string; scale: number } | null {
  if (cfg.kind === 'sgd') return null;
  if (slot === 'ms') return { slot: 'm', scale: 1 / (1 - (cfg.beta1 ?? 0.9)) };
  if (slot === 'vs') return { slot: 'v', scale: 1 / (1 - (cfg.beta2 ?? 0.999)) };
  return null;
}

export interface UpdateContext {
  g: GraphBuilder;
  lr: string; // scalar float input
  t: string; // scalar float input, 1-based step
  f: (v: number) => string; // scalar float constant
}

/**
 * Emits the update of one parameter. `state` maps slot name -> current value; returns the new parameter and
 * the new value of every slot.
 */
export function emitUpdate(
  cfg: OptimizerConfig,
  ctx: UpdateContext,
  w: string,
  grad: string,
  state: Record<string, string>,
): { w: string; state: Record<string, string> } {
  const { g, lr, f } = ctx;
  const wd = cfg.weightDecay ?? 0;
  if (cfg.kind === 'sgd') {
    const mu = cfg.momentum ?? 0;
    let d = wd !== 0 ? g.op('Add', [grad, g.op('Mul', [w, f(wd)])]) : grad;
    const out: Record<string, string> = {};
    if (mu !== 0) {
      const damp = cfg.dampening ?? 0;
      const scaled = damp !== 0 ? g.op('Mul', [d, f(1 - damp)]) : d;
      const buf = g.op('Add', [g.op('Mul', [state.momentum, f(mu)]), scaled]);
      out.momentum = buf;
      d = cfg.nesterov ? g.op('Add', [d, g.op('Mul', [buf, f(mu)])]) : buf;
    }
    return { w: g.op('Sub', [w, g.op('Mul', [d, lr])]), state: out };
  }
  const b1 = cfg.beta1 ?? 0.9;
  const b2 = cfg.beta2 ?? 0.999;
  const eps = cfg.eps ?? 1e-8;
  let param = w;
  let d = grad;
  if (cfg.kind === 'adamw' && wd !== 0) param = g.op('Mul', [w, g.op('Sub', [f(1), g.op('Mul', [lr, f(wd)])])]);
  if (cfg.kind === 'adam' && wd !== 0) d = g.op('Add', [grad, g.op('Mul', [w, f(wd)])]);
  // Scaled moments ms = m/(1-b1), vs = v/(1-b2): the EMA weight moves into the step-size scalars, so the moment
  // updates are Mul + Add and Mul + Mul + Add (torch's form: 3 and 4 full-size ops). Same values up to rounding.
  const ms = g.op('Add', [g.op('Mul', [state.ms, f(b1)]), d]);
  const vs = g.op('Add', [g.op('Mul', [state.vs, f(b2)]), g.op('Mul', [d, d])]);
  // torch: w -= (lr / (1-b1^t)) * m / (sqrt(v) / s + eps) with s = sqrt(1-b2^t). With m = (1-b1) ms and
  // v = (1-b2) vs, r = sqrt(1-b2):
  //   = (lr * s * (1-b1) / ((1-b1^t) * r)) * ms / (sqrt(vs) + eps * s / r)
  // so the per-element work is Sqrt, Add, Div, Mul, Sub. The scalars depend only on lr, t and the betas and are
  // built once per graph (cached per context).
  const { stepSize, epsHat } = adamScalars(ctx, b1, b2, eps);
  const denom = g.op('Add', [g.op('Sqrt', [vs]), epsHat]);
  const next = g.op('Sub', [param, g.op('Mul', [g.op('Div', [ms, denom]), stepSize])]);
  return { w: next, state: { ms, vs } };
}

const scalarCache = new WeakMap<UpdateContext, Map<string, { stepSize: string; epsHat: string }>>();

function adamScalars(ctx: UpdateContext, b1: number, b2: number, eps: number): { stepSize: string; epsHat: string } {
  const { g, lr, t, f } = ctx;
  let byBetas = scalarCache.get(ctx);
  if (!byBetas) scalarCache.set(ctx, (byBetas = new Map()));
  const key = `${b1}/${b2}/${eps}`;
  let s = byBetas.get(key);
  if (!s) {
    const bc1 = g.op('Sub', [f(1), g.op('Pow', [f(b1), t])]);
    const bc2sqrt = g.op('Sqrt', [g.op('Sub', [f(1), g.op('Pow', [f(b2), t])])]);
    const r = Math.sqrt(1 - b2);
    s = {
      stepSize: g.op('Div', [g.op('Mul', [lr, g.op('Mul', [bc2sqrt, f((1 - b1) / r)])]), bc1]),
      epsHat: g.op('Mul', [f(eps / r), bc2sqrt]),
    };
    byBetas.set(key, s);
  }
  return s;
}
