/**
 * Few-shot fine-tuning benchmark (issue 10). Records (one JSON line each):
 * - fewshot.magnetic_tile.base: the unsupervised base (PatchCore, default settings, seed-0 split) on the held-out
 *   test images: image AUROC, pixel AUROC / AP / F1, PRO.
 * - fewshot.magnetic_tile.fewshot: the head fine-tuned from 10 labelled defect images per class (a seeded pick,
 *   seed 0, from the test split's defects; those 50 images are then left out of evaluation) on the same images.
 * Both models are evaluated on exactly the same images (test split minus the labelled ones; BENCH_MAX_TEST=N
 * takes an evenly spaced subset of N of them: quicker, noisier). Skipped with a record when the data is absent.
 * Every record carries the core count and load average: this machine is shared, so wall times are contended.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fewshot, heldOut } from '../src/main/models/fewshot/index.js';
import { pickShots } from '../src/main/models/fewshot/labels.js';
import { patchcore } from '../src/main/models/patchcore/index.js';
import { machine, magneticTile, metricFields, r4, trainAndEval, type Emit, type TrainEvalResult } from './lib/anomaly.js';

const SHOTS_PER_CLASS = 10;

const pixelF1 = (r: TrainEvalResult) => ({ pixel_f1: r4(r.r.metrics.pixel?.f1) });

export async function run(emit: Emit): Promise<void> {
  const mt = await magneticTile();
  if ('skipped' in mt) {
    emit({ bench: 'fewshot.magnetic_tile', skipped: mt.skipped });
    return;
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-fewshot-'));
  try {
    const labelled = pickShots(mt.root, mt.split.test, SHOTS_PER_CLASS, 0);
    const ds = { ...mt, split: { ...mt.split, test: heldOut(mt.split.test, labelled), description: `${mt.split.description}; minus ${labelled.length} labelled` } };
    const base = await trainAndEval(patchcore, ds, tmp, {}, 'base');
    emit({
      bench: 'fewshot.magnetic_tile.base',
      method: 'patchcore',
      ...metricFields(base.r),
      ...pixelF1(base),
      train_s: Math.round(base.trained.json.training.seconds * 10) / 10,
      peak_rss_mb: base.peakRssMb,
      ...machine(),
    });
    const fine = await trainAndEval(fewshot, ds, tmp, { params: { base: base.dir, labeled: labelled.map((l) => l.record) } }, 'fewshot');
    const p = fine.trained.json.params;
    emit({
      bench: 'fewshot.magnetic_tile.fewshot',
      method: 'fewshot',
      ...metricFields(fine.r),
      ...pixelF1(fine),
      base_pixel_ap: r4(base.r.metrics.pixel?.ap),
      base_pixel_auroc: r4(base.r.metrics.pixel?.auroc),
      base_pixel_f1: r4(base.r.metrics.pixel?.f1),
      shots: labelled.length,
      shots_per_class: p.shotsPerClass,
      steps: p.steps,
      loss_first: r4(p.firstLoss as number),
      loss_last: r4(p.lastLoss as number),
      train_s: Math.round(fine.trained.json.training.seconds * 10) / 10,
      timings: p.timings,
      peak_rss_mb: fine.peakRssMb,
      ...machine(),
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
