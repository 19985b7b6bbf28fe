/**
 * Collects image scores and pixel maps image by image, then computes every metric once. Pixel scores go into
 * growable Float32 buffers split by class, so 500 maps of 256 x 256 cost ~130 MB, not one JS array per pixel.
 */
import { StudioError } from '../../shared/errors.js';
import { binaryMetricsFromSplit, type BinaryMetrics } from './binary.js';
import { connectedComponents } from './components.js';
import { proAuc } from './pro.js';

class FloatBuffer {
  private data = new Float32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  view(): Float32Array {
    return this.data.subarray(0, this.length);
  }
}

export interface AnomalyMetrics {
  image: BinaryMetrics;
  pixel?: BinaryMetrics;
  /** Normalised area under the PRO curve up to FPR 0.3; absent without any defect region. */
  pro?: number;
  images: number;
  imagesWithMask: number;
}

export class MetricsCollector {
  private readonly imagePos: number[] = [];
  private readonly imageNeg: number[] = [];
  private readonly pixPos = new FloatBuffer();
  private readonly pixPosWeight = new FloatBuffer();
  private readonly pixNeg = new FloatBuffer();
  private regions = 0;
  private withMask = 0;

  /** One image: its score, whether it is defective, and optionally its map with the ground-truth mask (same size). */
  add(score: number, defective: boolean, pixels?: { map: Float32Array; mask: ArrayLike<number>; width: number; height: number; path?: string }): void {
    (defective ? this.imagePos : this.imageNeg).push(score);
    if (!pixels) return;
    const { map, mask, width, height } = pixels;
    if (map.length !== width * height || mask.length !== width * height) {
      throw new StudioError(
        'BAD_REQUEST',
        `Anomaly map (${map.length} values) and mask (${mask.length}) of ${pixels.path ?? 'an image'} must both have ${width}x${height} pixels.`,
      );
    }
    this.withMask++;
    const cc = connectedComponents(mask, width, height);
    this.regions += cc.count;
    for (let i = 0; i < map.length; i++) {
      const l = cc.labels[i];
      if (l === 0) this.pixNeg.push(map[i]);
      else {
        this.pixPos.push(map[i]);
        this.pixPosWeight.push(1 / cc.sizes[l]);
      }
    }
  }

  compute(maxFpr = 0.3): AnomalyMetrics {
    const image = binaryMetricsFromSplit(this.imagePos, this.imageNeg);
    const out: AnomalyMetrics = { image, images: this.imagePos.length + this.imageNeg.length, imagesWithMask: this.withMask };
    if (this.pixPos.length > 0 && this.pixNeg.length > 0) {
      // Sort the good pixels once, in place (their order carries no information), for both computations.
      const neg = this.pixNeg.view();
      for (let i = 0; i < neg.length; i++) {
        if (Number.isNaN(neg[i])) throw new StudioError('BAD_REQUEST', 'An anomaly map contains NaN; metrics need finite scores.');
      }
      neg.sort();
      out.pixel = binaryMetricsFromSplit(this.pixPos.view(), neg, { negSorted: true });
      out.pro = proAuc({ posScores: this.pixPos.view(), posWeights: this.pixPosWeight.view(), regions: this.regions, negScores: neg, negSorted: true }, maxFpr);
    }
    return out;
  }
}
