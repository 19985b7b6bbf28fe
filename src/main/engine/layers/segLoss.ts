/**
 * Losses for a one-channel segmentation head trained on synthetic defect masks (DRAEM / DeSTSeg style heads):
 * focal loss on logits (Lin et al., 2017) and the L1 distance of the probabilities, as graph nodes with gradient
 * rules. Both take logits z and a target mask y of the same shape [N,1,H,W] (y in [0, 1]; soft targets allowed).
 * Defect pixels are a few percent of a crop, so plain BCE is dominated by easy background pixels: the focal factor
 * (1 − p_t)^γ down-weights them, and the L1 term keeps the probabilities calibrated towards 0/1.
 */
import type { GraphBuilder } from '../onnx/graph.js';

export interface SegLossOptions {
  /** Focal exponent γ (2 in the papers); 0 gives plain binary cross-entropy. */
  gamma?: number;
  /** Weight of the positive (defect) class, α; the background gets 1 − α. Undefined: no class weighting. */
  alpha?: number;
}

/**
 * Mean focal loss. Cross-entropy from logits as softplus(z) − y·z (= −y·log p − (1 − y)·log(1 − p)), which stays
 * finite for large |z| where log(sigmoid(z)) would not; 1 − p_t = p + y − 2·y·p.
 */
export function focalLoss(g: GraphBuilder, logits: string, target: string, o: SegLossOptions = {}): string {
  const gamma = o.gamma ?? 2;
  const ce = g.op('Sub', [g.op('Softplus', [logits]), g.op('Mul', [target, logits])]);
  let perPixel = ce;
  if (gamma > 0) {
    const p = g.op('Sigmoid', [logits]);
    const yp = g.op('Mul', [target, p]);
    const oneMinusPt = g.op('Sub', [g.op('Add', [p, target]), g.op('Add', [yp, yp])]);
    const factor = gamma === 2 ? g.op('Mul', [oneMinusPt, oneMinusPt]) : g.op('Pow', [oneMinusPt, g.constFloat(gamma)]);
    perPixel = g.op('Mul', [factor, ce]);
  }
  if (o.alpha !== undefined) {
    // α·y + (1 − α)·(1 − y) = (1 − α) + (2α − 1)·y
    const weight = g.op('Add', [g.constFloat(1 - o.alpha), g.op('Mul', [target, g.constFloat(2 * o.alpha - 1)])]);
    perPixel = g.op('Mul', [weight, perPixel]);
  }
  return g.op('ReduceMean', [perPixel], { keepdims: 0 }, 'focal_loss');
}

/** Mean |sigmoid(z) − y|. */
export function probabilityL1Loss(g: GraphBuilder, logits: string, target: string): string {
  return g.op('ReduceMean', [g.op('Abs', [g.op('Sub', [g.op('Sigmoid', [logits]), target])])], { keepdims: 0 }, 'seg_l1_loss');
}
