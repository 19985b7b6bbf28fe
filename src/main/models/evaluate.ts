/**
 * Scores a test set with a model folder and computes the metrics: image AUROC/AP/F1 over all test images, pixel
 * AUROC/AP/F1 and PRO over the images that have a mask (good images without a mask file count as all-good
 * pixels only when the layout says so, i.e. their label is 'good').
 */
import path from 'node:path';
import type { ImageRecord } from '../../shared/dataset.js';
import { StudioError } from '../../shared/errors.js';
import { readMask } from '../data/preprocess.js';
import { binaryMetricsFromSplit, MetricsCollector, type AnomalyMetrics } from '../metrics/index.js';
import type { AnomalyModel } from './inference.js';

export interface EvalResult {
  metrics: AnomalyMetrics;
  /** Image AUROC per defect type (that type vs all good test images). */
  perLabel: Record<string, { images: number; auroc: number }>;
  scores: { path: string; label: string; score: number }[];
  msPerImage: number;
}

export async function evaluateModel(
  model: AnomalyModel,
  root: string,
  test: ImageRecord[],
  onProgress?: (done: number, total: number) => void,
): Promise<EvalResult> {
  const usable = test.filter((r) => r.label !== 'unlabeled');
  if (!usable.some((r) => r.label === 'good') || !usable.some((r) => r.label !== 'good')) {
    throw new StudioError('INVALID_STATE', `Evaluation needs good and defective test images in ${root}; found ${usable.filter((r) => r.label === 'good').length} good and ${usable.filter((r) => r.label !== 'good').length} defective.`);
  }
  const pixelLevel = usable.some((r) => r.label !== 'good' && r.maskPath);
  const collector = new MetricsCollector();
  const scores: EvalResult['scores'] = [];
  const t0 = performance.now();
  let done = 0;
  for (const r of usable) {
    const res = await model.inferFile(path.join(root, r.path));
    const defective = r.label !== 'good';
    scores.push({ path: r.path, label: r.label, score: res.score });
    const { width, height } = res.geometry;
    let mask: Uint8Array | null = null;
    if (pixelLevel) {
      if (r.maskPath) mask = await readMask(path.join(root, r.maskPath), width, height);
      else if (!defective) mask = new Uint8Array(width * height);
    }
    collector.add(res.score, defective, mask ? { map: res.imageMap, mask, width, height, path: r.path } : undefined);
    onProgress?.(++done, usable.length);
  }
  const msPerImage = (performance.now() - t0) / usable.length;
  const metrics = collector.compute();
  const perLabel: EvalResult['perLabel'] = {};
  const good = scores.filter((s) => s.label === 'good');
  for (const label of [...new Set(scores.filter((s) => s.label !== 'good').map((s) => s.label))].sort()) {
    const bad = scores.filter((s) => s.label === label);
    perLabel[label] = { images: bad.length, auroc: binaryMetricsFromSplit(bad.map((s) => s.score), good.map((s) => s.score)).auroc };
  }
  return { metrics, perLabel, scores, msPerImage };
}
