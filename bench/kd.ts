/**
 * KD benchmarks (issue 6). Records (one JSON line each):
 * - kd.magnetic_tile.<variant>: the ablation, plain KD / +SimAM / +SSPCAB / +both, each trained with the default
 *   schedule on the magnetic-tile split every method uses (seed 0: 50% of MT_Free for training, 10% of that held
 *   out for the threshold; test = the other half + every defect): image AUROC, pixel AUROC, PRO, AP, per-class
 *   image AUROC, train seconds, loss at the first and last step. Targets: image AUROC within 0.03 of the best method
 *   (PatchCore 0.878 on the full test set), pixel AUROC >= 0.95.
 * - kd.train_200: training on the first 200 training images at 256 px, default schedule (target <= 15 min).
 * - kd.infer_ms: one 256 x 256 image, batch 1, median of 20 runs after 3 warm-up runs (target <= 40 ms).
 * BENCH_MAX_TEST=N evaluates an evenly spaced subset of N test images (quicker, noisier); BENCH_KD_VARIANTS=a,b
 * runs only those variants; BENCH_KD_PARAMS='{"epochs":10}' overrides defaults in every run (experiments);
 * BENCH_KD_TRAIN=N trains on the first N training images; BENCH_KD_SKIP_TRAIN200=1 skips kd.train_200;
 * BENCH_KD_POSTHOC='[{"sigma":4},{"levelNorm":"zscore"}]' re-exports each trained variant with these map/score
 * settings (same weights: the finished checkpoint is resumed, no training; head settings train a new head, student
 * settings such as denoiseAnomalies are refused: models/workDir.ts) -> kd.magnetic_tile.<variant>.posthoc.
 * BENCH_KD_FULL_TOO=1 (with BENCH_MAX_TEST): each trained variant is also evaluated on the full test set ->
 * kd.magnetic_tile.<variant>.full; the subset record comes first, and one training serves both (it is deterministic,
 * so a second run without BENCH_MAX_TEST would train the same weights again).
 * Every record carries the core count and load average: this machine is shared, so wall times are contended.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { evaluateModel } from '../src/main/models/evaluate.js';
import { AnomalyModel } from '../src/main/models/inference.js';
import { kd } from '../src/main/models/kd/index.js';
import type { TrainingSplit } from '../src/main/models/split.js';
import { latency256, machine, magneticTile, metricFields, trainAndEval, type Emit } from './lib/anomaly.js';

const VARIANTS: Record<string, { useSimam: boolean; useSspcab: boolean }> = {
  plain: { useSimam: false, useSspcab: false },
  simam: { useSimam: true, useSspcab: false },
  sspcab: { useSimam: false, useSspcab: true },
  both: { useSimam: true, useSspcab: true },
};

export async function run(emit: Emit): Promise<void> {
  const extra = JSON.parse(process.env.BENCH_KD_PARAMS ?? '{}') as Record<string, unknown>;
  const only = process.env.BENCH_KD_VARIANTS?.split(',');
  const posthoc = JSON.parse(process.env.BENCH_KD_POSTHOC ?? '[]') as Record<string, unknown>[];
  const fullToo = process.env.BENCH_KD_FULL_TOO === '1' && Boolean(process.env.BENCH_MAX_TEST);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-kd-'));
  try {
    const mt = await magneticTile();
    if ('skipped' in mt) {
      emit({ bench: 'kd.magnetic_tile', skipped: mt.skipped });
      return;
    }
    // BENCH_KD_TRAIN=N: the first N training images only (the README's exploration runs use 200).
    const trainMax = Number(process.env.BENCH_KD_TRAIN ?? Infinity);
    const ds = trainMax < mt.split.train.length ? { ...mt, split: { ...mt.split, train: mt.split.train.slice(0, trainMax), description: `${mt.split.description}; first ${trainMax} training images` } } : mt;
    let latencyDir: string | undefined;
    for (const [name, blocks] of Object.entries(VARIANTS)) {
      if (only && !only.includes(name)) continue;
      const workDir = path.join(tmp, `work-${name}`);
      const { trained, r, peakRssMb, dir } = await trainAndEval(kd, ds, tmp, { params: { ...blocks, ...extra }, workDir }, `kd-${name}`);
      const loop = trained.json.params.loop as { steps: number; firstLoss: number; lastLoss: number };
      emit({
        bench: `kd.magnetic_tile.${name}`,
        ...metricFields(r),
        target: 'image_auroc within 0.03 of the best method (PatchCore 0.927), pixel_auroc>=0.95',
        train_images: ds.split.train.length,
        train_s: Math.round(trained.json.training.seconds * 10) / 10,
        steps: loop.steps,
        first_loss: loop.firstLoss,
        last_loss: loop.lastLoss,
        ...(trained.json.params.headLoop ? { head_loop: trained.json.params.headLoop } : {}),
        timings: trained.json.params.timings,
        params: { ...blocks, ...extra },
        peak_rss_mb: peakRssMb,
        ...machine(),
      });
      if (fullToo) {
        const model = await AnomalyModel.load(dir);
        try {
          emit({ bench: `kd.magnetic_tile.${name}.full`, ...metricFields(await evaluateModel(model, ds.root, ds.split.test)), train_images: ds.split.train.length, params: { ...blocks, ...extra }, ...machine() });
        } finally {
          await model.release();
        }
      }
      if (name === 'both' || !latencyDir) latencyDir = dir;
      // Map and score settings on the same trained weights: resuming from the finished checkpoint skips training.
      for (const ph of posthoc) {
        const again = await trainAndEval(kd, ds, tmp, { params: { ...blocks, ...extra, ...ph }, workDir, resume: true }, `kd-${name}-posthoc`);
        const headLoop = again.trained.json.params.headLoop as { startStep: number; steps: number; seconds: number } | undefined;
        // A head with other training settings than the first run's is trained here (its own checkpoint folder).
        const newHead = headLoop && headLoop.startStep < headLoop.steps ? { head_loop: headLoop } : {};
        emit({ bench: `kd.magnetic_tile.${name}.posthoc`, ...metricFields(again.r), params: { ...blocks, ...extra, ...ph }, ...newHead, level_stats: again.trained.json.params.levelStats, ...machine() });
      }
    }
    // Latency of the default model (both blocks) when it was trained above.
    if (latencyDir) {
      const model = await AnomalyModel.load(latencyDir);
      try {
        const ms = await latency256(model, 20);
        emit({ bench: 'kd.infer_ms', value: Math.round(ms[10] * 10) / 10, unit: 'ms', p90: Math.round(ms[18] * 10) / 10, model: path.basename(latencyDir), target: '<=40', ...machine() });
      } finally {
        await model.release();
      }
    }
    if (process.env.BENCH_KD_SKIP_TRAIN200) return;
    // Training time on 200 images at 256 px, default parameters (both blocks), 10 held-out images for the threshold.
    const t200: TrainingSplit = { train: mt.split.train.slice(0, 200), val: mt.split.val.slice(0, 10), test: [], description: 'first 200 training images' };
    let peakRss = 0;
    const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
    const t0 = performance.now();
    const trained = await kd.train({ root: mt.root, summary: mt.summary, split: t200, seed: 0, imageSize: 256, params: extra });
    clearInterval(timer);
    const loop = trained.json.params.loop as { steps: number };
    emit({
      bench: 'kd.train_200',
      value: Math.round((performance.now() - t0) / 100) / 10,
      unit: 's',
      target: '<=900',
      steps: loop.steps,
      timings: trained.json.params.timings,
      peak_rss_mb: Math.round(peakRss / 2 ** 20),
      ...machine(),
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
