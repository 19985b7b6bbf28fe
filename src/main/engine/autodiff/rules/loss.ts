/**
 * Fused losses. For cross-entropy with per-sample factor f_n (class weight of the label, 0 for ignore_index)
 * and reduction r:  dscores = (softmax(scores) - onehot(label)) * f_n * dy / (sum f  if r = mean, else 1).
 */
import type { RuleTable, VjpKit } from '../kit.js';

interface Labels {
  safe: string; // labels with ignore_index replaced by 0 (OneHot/Gather need valid indices)
  factor: string | undefined; // f_n, undefined when it is 1 everywhere
}

function labelsAndFactor(k: VjpKit, labelsIdx: number, weightsIdx: number): Labels {
  let labels = k.dtype(k.x(labelsIdx)) === 'int64' ? k.x(labelsIdx) : k.emit('Cast', [k.x(labelsIdx)], { to: 7 });
  const ignore = k.attr('ignore_index', Number.NaN);
  let factor: string | undefined;
  let keep: string | undefined;
  if (!Number.isNaN(ignore)) {
    const isIgnored = k.emit('Equal', [labels, k.ints([ignore])]);
    labels = k.emit('Where', [isIgnored, k.ints([0]), labels]);
    keep = k.emit('Cast', [k.emit('Not', [isIgnored])], { to: k.dtype(k.x(0)) === 'float64' ? 11 : 1 });
  }
  if (k.hasX(weightsIdx)) factor = k.emit('Gather', [k.x(weightsIdx), labels], { axis: 0 });
  if (keep) factor = factor ? k.emit('Mul', [factor, keep]) : keep;
  return { safe: labels, factor };
}

/** f_n * dy / denominator, shaped to broadcast against [N, C, d...]. */
function coefficient(k: VjpKit, lab: Labels, dy: string): string {
  const reduction = k.attr('reduction', 'mean');
  const labShape = k.shape(k.x(1));
  let c: string;
  if (reduction === 'none') c = lab.factor ? k.emit('Mul', [lab.factor, dy]) : dy;
  else {
    let scaled = dy;
    if (reduction === 'mean') {
      const denom = lab.factor
        ? k.reduce('ReduceSum', lab.factor, labShape.map((_, i) => i), false)
        : k.scalar(labShape.reduce((a, b) => a * b, 1));
      scaled = k.emit('Div', [dy, denom]);
    }
    c = lab.factor ? k.emit('Mul', [lab.factor, scaled]) : scaled;
  }
  return reduction === 'none' || lab.factor ? k.emit('Unsqueeze', [c, k.ints([1])]) : c;
}

function oneHot(k: VjpKit, labels: string): string {
  const C = k.shape(k.x(0))[1];
  return k.emit('OneHot', [labels, k.ints([C]), k.floats([0, 1], [2])], { axis: 1 });
}

export const lossRules: RuleTable = {
  SoftmaxCrossEntropyLoss: (k) => {
    const logp = k.ensureOutput(1);
    const p = k.emit('Exp', [logp]);
    const parts: string[] = [];
    const dy = k.dy(0);
    if (dy) {
      const lab = labelsAndFactor(k, 1, 2);
      parts.push(k.emit('Mul', [k.emit('Sub', [p, oneHot(k, lab.safe)]), coefficient(k, lab, dy)]));
    }
    const dlp = k.dy(1);
    if (dlp) parts.push(k.emit('Sub', [dlp, k.emit('Mul', [p, k.reduce('ReduceSum', dlp, [1], true)])]));
    return [parts.length === 1 ? parts[0] : k.emit('Sum', parts), null, null];
  },
  NegativeLogLikelihoodLoss: (k) => {
    const lab = labelsAndFactor(k, 1, 2);
    return [k.emit('Neg', [k.emit('Mul', [oneHot(k, lab.safe), coefficient(k, lab, k.dy(0)!)])]), null, null];
  },
};
