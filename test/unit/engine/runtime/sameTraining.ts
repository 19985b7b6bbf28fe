import type * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import type { Trainer } from '../../../../src/main/engine/runtime/trainer.js';

/**
 * Trains `reference` and `rewritten` (the same training graph, one with a runtime rewrite) side by side for `steps`
 * Adam steps on the same batch and expects equal losses (relative `lossTol`) and equal final weights and optimizer
 * state (absolute `stateTol`): a graph rewrite must not change what is trained.
 */
export async function expectSameTraining(
  reference: Trainer,
  rewritten: Trainer,
  feeds: Record<string, ort.Tensor>,
  tol: { lossTol: number; stateTol: number; steps?: number },
): Promise<void> {
  for (let i = 0; i < (tol.steps ?? 4); i++) {
    const a = await reference.trainStep(feeds, 1e-2);
    const b = await rewritten.trainStep(feeds, 1e-2);
    expect(Math.abs(a - b)).toBeLessThan(tol.lossTol * Math.max(1, Math.abs(a)));
  }
  for (const [name, t] of reference.stateTensors()) {
    const u = rewritten.stateTensors().get(name)!.data as Float32Array;
    const v = t.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < v.length; i++) worst = Math.max(worst, Math.abs(v[i] - u[i]));
    expect(worst, name).toBeLessThan(tol.stateTol);
  }
}
