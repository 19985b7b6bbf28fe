/** The methods, by name. Adding a method = one folder + one line here. */
import { StudioError } from '../../shared/errors.js';
import { ear } from './ear/index.js';
import { fewshot } from './fewshot/index.js';
import { kd } from './kd/index.js';
import { patchcore } from './patchcore/index.js';
import type { MethodDefinition } from './types.js';

export const METHODS: readonly MethodDefinition[] = [patchcore, fewshot, kd, ear];

export function methodByName(name: string): MethodDefinition {
  const m = METHODS.find((x) => x.name === name);
  if (!m) throw new StudioError('BAD_REQUEST', `Unknown method "${name}"; available: ${METHODS.map((x) => x.name).join(', ')}.`);
  return m;
}

export type { MethodDefinition, TrainRequest, TrainedModel } from './types.js';
