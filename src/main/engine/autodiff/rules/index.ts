/**
 * Every op the autodiff knows, in one list. An op is either differentiated by a rule (one file per family) or
 * listed in NO_GRADIENT: its outputs do not depend differentiably on its inputs (shapes, comparisons,
 * rounding, index ops, random numbers), so the walker stops there. Anything else fails loudly, naming the op.
 */
import type { RuleTable } from '../kit.js';
import { activationRules } from './activation.js';
import { convRules } from './conv.js';
import { elementwiseRules } from './elementwise.js';
import { linalgRules } from './linalg.js';
import { lossRules } from './loss.js';
import { normRules } from './norm.js';
import { poolRules } from './pool.js';
import { reduceRules } from './reduce.js';
import { resizeRules } from './resize.js';
import { shapeRules } from './shape.js';

export const RULES: RuleTable = {
  ...elementwiseRules,
  ...activationRules,
  ...linalgRules,
  ...convRules,
  ...normRules,
  ...poolRules,
  ...reduceRules,
  ...resizeRules,
  ...shapeRules,
  ...lossRules,
};

export const NO_GRADIENT = new Set([
  'Constant', 'ConstantOfShape', 'Shape', 'Size', 'Range', 'NonZero', 'OneHot', 'EyeLike',
  'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf',
  'ArgMax', 'ArgMin', 'TopK_indices', 'Floor', 'Ceil', 'Round', 'Sign',
  'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Bernoulli', 'Multinomial',
]);

/** Ops buildBackward can differentiate (for docs and error messages). */
export function supportedOps(): string[] {
  return Object.keys(RULES).sort();
}
