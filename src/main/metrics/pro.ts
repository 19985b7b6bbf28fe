/**
 * PRO: the area under the per-region-overlap curve up to a false-positive rate (default 0.3), divided by that rate,
 * as in the MVTec AD evaluation (Bergmann et al.). At a threshold t, a ground-truth region's overlap is the share of
 * its pixels scored >= t; PRO(t) is the mean overlap over all regions of all images, so a tiny crack counts as much
 * as a large stain. FPR(t) is the share of good pixels scored >= t.
 *
 * Computed exactly, not on a threshold grid: every defect pixel carries weight 1 / (|region| · regions) and every
 * good pixel 1 / goodPixels, so walking the distinct scores from high to low, PRO and FPR are running sums.
 */
import { StudioError } from '../../shared/errors.js';

export interface ProInput {
  /** Defect-pixel scores and their 1/|region| weights, in any order. */
  posScores: Float32Array;
  posWeights: Float32Array;
  regions: number;
  /** Good-pixel scores, in any order (ascending when negSorted). */
  negScores: Float32Array;
  negSorted?: boolean;
}

export function proAuc(input: ProInput, maxFpr = 0.3): number {
  const { posScores, posWeights, regions, negScores } = input;
  if (regions === 0 || negScores.length === 0) {
    throw new StudioError('INVALID_STATE', `PRO needs defect regions and good pixels, got ${regions} regions and ${negScores.length} good pixels.`);
  }
  if (!(maxFpr > 0 && maxFpr <= 1)) throw new StudioError('BAD_REQUEST', `PRO's maximum FPR must be in (0, 1], got ${maxFpr}.`);
  const order = new Uint32Array(posScores.length);
  for (let k = 0; k < order.length; k++) order[k] = k;
  order.sort((a, b) => posScores[b] - posScores[a]);
  const neg = input.negSorted ? negScores : negScores.slice().sort();
  const nNeg = neg.length;
  let i = 0; // into order (descending)
  let j = nNeg - 1; // into neg (ascending, walked from the top)
  let fpr = 0;
  let pro = 0;
  let area = 0;
  let fp = 0;
  let overlap = 0;
  while (i < order.length || j >= 0) {
    const sp = i < order.length ? posScores[order[i]] : -Infinity;
    const sn = j >= 0 ? neg[j] : -Infinity;
    const t = Math.max(sp, sn);
    while (i < order.length && posScores[order[i]] === t) overlap += posWeights[order[i++]];
    while (j >= 0 && neg[j] === t) { fp++; j--; }
    const nextFpr = fp / nNeg;
    const nextPro = overlap / regions;
    if (nextFpr >= maxFpr) {
      // Interpolate the segment linearly at maxFpr and stop.
      const frac = nextFpr === fpr ? 0 : (maxFpr - fpr) / (nextFpr - fpr);
      const proAt = pro + frac * (nextPro - pro);
      area += ((maxFpr - fpr) * (pro + proAt)) / 2;
      return area / maxFpr;
    }
    area += ((nextFpr - fpr) * (pro + nextPro)) / 2;
    fpr = nextFpr;
    pro = nextPro;
  }
  return area / maxFpr; // unreachable: fpr reaches 1 at the lowest score
}
