/**
 * PatchCore benchmarks (issue 5). Records (one JSON line each):
 * - patchcore.magnetic_tile.<backbone>: train on a seeded 50% of MT_Free (seed 0; 10% of that held out for the
 *   threshold), test on the other 50% + every defective image: image AUROC, pixel AUROC, PRO (FPR <= 0.3), AP,
 *   per-class image AUROC, train seconds, ms per image. Targets: image >= 0.98, pixel >= 0.97.
 * - patchcore.elpv.<backbone>: ELPV cells, good = defect probability 0, defective = > 0; same seeded split.
 * - patchcore.train_200: training time on 200 magnetic-tile images at 256 px (target <= 60 s), with peak RSS.
 * - patchcore.infer_ms: one 256 x 256 image, batch 1, median of 20 runs after 3 warm-up runs (target <= 30 ms).
 * - patchcore.metrics_20M_pixels: MetricsCollector.compute (pixel AUROC/AP/F1 + PRO) on 300 generated 256 px maps.
 * Data sets are read from ../shared/data and skipped (with a record saying so) when absent.
 * BENCH_PATCHCORE_MAX_TEST=N evaluates an evenly spaced subset of N test images (quicker, noisier).
 * BENCH_PATCHCORE_ONLY=speed runs only train_200 and infer_ms (the two timing targets, ~1 min), so that they can be
 * re-measured on a quiet machine without the accuracy runs.
 * Every record carries the core count and load average: this machine is shared, so wall times are contended.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MetricsCollector } from '../src/main/metrics/index.js';
import { AnomalyModel } from '../src/main/models/inference.js';
import { writeModelFolder } from '../src/main/models/modelFolder.js';
import { patchcore } from '../src/main/models/patchcore/index.js';
import type { TrainingSplit } from '../src/main/models/split.js';
import { ort } from '../src/main/models/session.js';
import { elpv, latency256, machine, magneticTile, metricFields, r4, trainAndEval, type Emit } from './lib/anomaly.js';


const BACKBONES = ['mobilenetv2', 'resnet'];
const speedOnly = process.env.BENCH_PATCHCORE_ONLY === 'speed';

/** Metrics on ~20M pixels: 300 generated 256 x 256 maps, half with one 19 x 29 px defect. value = compute() time. */
export function benchMetrics(emit: Emit): void {
  const size = 256;
  let s = 1;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const c = new MetricsCollector();
  const t0 = performance.now();
  for (let k = 0; k < 300; k++) {
    const defective = k % 2 === 0;
    const map = new Float32Array(size * size);
    const mask = new Uint8Array(size * size);
    for (let i = 0; i < map.length; i++) {
      const inDefect = defective && i % size > 100 && i % size < 120 && i / size > 50 && i / size < 80;
      mask[i] = inDefect ? 1 : 0;
      map[i] = rnd() + (inDefect ? 0.5 : 0);
    }
    c.add(defective ? 1 : 0, defective, { map, mask, width: size, height: size });
  }
  const tAdd = performance.now();
  const m = c.compute();
  const tEnd = performance.now();
  emit({ bench: 'patchcore.metrics_20M_pixels', value: Math.round(tEnd - tAdd), unit: 'ms', collect_ms: Math.round(tAdd - t0), pixels: 300 * size * size, pixel_auroc: r4(m.pixel?.auroc), pro: r4(m.pro), ...machine() });
}

export async function run(emit: Emit): Promise<void> {
  if (!speedOnly) benchMetrics(emit);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-patchcore-'));
  try {
    const mt = await magneticTile();
    if ('skipped' in mt) emit({ bench: 'patchcore.magnetic_tile', skipped: mt.skipped });
    else {
      for (const backbone of speedOnly ? [] : BACKBONES) {
        const { trained, r, peakRssMb } = await trainAndEval(patchcore, mt, tmp, { backbone });
        emit({
          bench: `patchcore.magnetic_tile.${backbone}`,
          ...metricFields(r),
          target: 'image_auroc>=0.98, pixel_auroc>=0.97',
          train_images: mt.split.train.length,
          train_s: Math.round(trained.json.training.seconds * 10) / 10,
          bank: trained.json.params.bankSize,
          peak_rss_mb: peakRssMb,
          ...machine(),
        });
      }
      // Training time on 200 images at 256 px (short side), default backbone.
      const split = mt.split;
      const t200: TrainingSplit = { train: split.train.slice(0, 200), val: split.val.slice(0, 10), test: [], description: 'first 200 training images' };
      let peakRss = 0;
      const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
      const t0 = performance.now();
      const trained = await patchcore.train({ root: mt.root, summary: mt.summary, split: t200, seed: 0, imageSize: 256 });
      clearInterval(timer);
      emit({
        bench: 'patchcore.train_200',
        value: Math.round((performance.now() - t0) / 100) / 10,
        unit: 's',
        target: '<=60',
        timings: trained.json.params.timings,
        peak_rss_mb: Math.round(peakRss / 2 ** 20),
        ...machine(),
      });
      // Inference latency at 256 x 256, batch 1.
      const dir = path.join(tmp, 'latency');
      await writeModelFolder(dir, trained.onnx, trained.json);
      const model = await AnomalyModel.load(dir);
      const ms = await latency256(model, 20);
      await model.release();
      emit({ bench: 'patchcore.infer_ms', value: Math.round(ms[10] * 10) / 10, unit: 'ms', target: '<=30', p90: Math.round(ms[18] * 10) / 10, bank: trained.json.params.bankSize, provider: model.provider, ort: ort.env.versions?.common, ...machine() });
    }

    if (speedOnly) return;
    const el = await elpv();
    if ('skipped' in el) emit({ bench: 'patchcore.elpv', skipped: el.skipped });
    else {
      for (const backbone of BACKBONES) {
        const { trained, r } = await trainAndEval(patchcore, el, tmp, { backbone });
        emit({
          bench: `patchcore.elpv.${backbone}`,
          image_auroc: r4(r.metrics.image.auroc),
          image_ap: r4(r.metrics.image.ap),
          train_images: el.split.train.length,
          test_images: r.metrics.images,
          train_s: Math.round(trained.json.training.seconds * 10) / 10,
          ms_per_image: Math.round(r.msPerImage),
          ...machine(),
        });
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
