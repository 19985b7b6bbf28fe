/**
 * EAR benchmarks (issue 7). Records (one JSON line each), all on the magnetic-tile seed-0 split of bench/lib:
 * - ear.magnetic_tile.default: the product's defaults (contrast attention, mosaic hint, shallow skip off):
 *   image / pixel AUROC, PRO, AP, per-class image AUROC, training seconds and loop figures.
 * - ear.magnetic_tile.skips_all_on: the same trained U-Net exported with every skip on (resumed from the default
 *   run's checkpoint at its last step); with the head (session-6 default) a head is trained for the skips-on
 *   recovery, as a fresh `--skips 1,1,1` run would (disc.ts discDirName), so U-Net weights equal, head not.
 * - ear.magnetic_tile.mask_random / mask_none / hint_empty: a fixed pseudo-random mask, no mask, an emptied
 *   (zero) region instead of the mosaic; each trained from scratch with that setting.
 * - ear.magnetic_tile.attention_energy / attention_norm-deep: the other attention signals (default: contrast).
 * - ear.magnetic_tile.mosaic_cell_16: mosaic blocks of 16 U-Net pixels instead of 4 (a coarser hint).
 * - ear.magnetic_tile.error_pixel: the pixel-space error map (|x − x̂| + SSIM) instead of the feature-space one.
 * - ear.magnetic_tile.feature_loss: the U-Net trained with the perceptual term (featureLossWeight 0.05) as well.
 * - ear.magnetic_tile.denoise / head_disc / head_disc_features: the denoising recovery (denoise 0.5) with the error
 *   map alone (head 'none'), and on it the discriminative head, on pixels or also on the backbone's block_5 features
 *   (train_s covers both stages). Every other record runs the default, head included.
 * - ear.elpv: ELPV cells image AUROC.
 * - ear.train_200: training on the first 200 training images (target <= 15 min), with peak RSS.
 * - ear.infer_ms: the default model on one 256 x 256 image, batch 1, median of 20 after 3 warm-up runs (target <= 20 ms).
 * BENCH_MAX_TEST=N evaluates an evenly spaced subset of N test images; BENCH_EAR_STEPS=N overrides the U-Net's
 * training steps (quick runs; the head's are BENCH_EAR_PARAMS='{"headSteps":N}'); BENCH_EAR_ONLY=a,b runs only the records whose names contain one of the words;
 * BENCH_EAR_TRAIN=N trains on the first N training images; BENCH_EAR_WORKDIR=dir keeps the default record's checkpoints there
 * (BENCH_EAR_RESUME=1: resumes them, so a finished run re-exports without training; a U-Net trained with other settings or
 * training images, e.g. another BENCH_EAR_TRAIN, is refused: ear/workDir.ts); BENCH_EAR_HEADS='{"name":{...params}}'
 * adds ear.magnetic_tile.head_<name> (and ear.elpv.head_<name>) records: the default's U-Net with those head / map
 * settings (README run M); ELPV's checkpoints go to BENCH_EAR_WORKDIR/elpv; BENCH_EAR_PARAMS='{...}' overrides defaults everywhere.
 * Every record carries the core count and load average: this machine is shared, so wall times are contended.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AnomalyModel } from '../src/main/models/inference.js';
import { ear } from '../src/main/models/ear/index.js';
import type { TrainingSplit } from '../src/main/models/split.js';
import { elpv, latency256, machine, magneticTile, metricFields, r4, trainAndEval, type BenchDataset, type Emit } from './lib/anomaly.js';

// Experiments: BENCH_EAR_PARAMS='{"denoise":0.5}' overrides defaults in every run (as BENCH_KD_PARAMS).
const steps = { ...(process.env.BENCH_EAR_STEPS ? { steps: Number(process.env.BENCH_EAR_STEPS) } : {}), ...(JSON.parse(process.env.BENCH_EAR_PARAMS ?? '{}') as Record<string, unknown>) };
const wanted = (name: string) => !process.env.BENCH_EAR_ONLY || process.env.BENCH_EAR_ONLY.split(',').some((w) => name.includes(w));

const VARIANTS: Record<string, Record<string, unknown>> = {
  mask_random: { attention: 'random' },
  mask_none: { maskFraction: 0 },
  hint_empty: { hint: 'empty' },
  attention_energy: { attention: 'energy' },
  'attention_norm-deep': { attention: 'norm-deep' },
  mosaic_cell_16: { mosaicCell: 16 },
  // The pixel-space error map that was the default before the feature-space one (README runs 5, B and D).
  error_pixel: { errorSpace: 'pixel', borderMargin: 16, scoreTopFraction: 0.01, errorPool: 1 },
  // The perceptual training term through the frozen backbone (README run I).
  feature_loss: { featureLossWeight: 0.05 },
  // Session 6: the denoising recovery, and the discriminative head (disc.ts) on it (README run L).
  // head 'none': since the head became the default, { denoise: 0.5 } alone was head_disc again.
  denoise: { denoise: 0.5, head: 'none' },
  head_disc: { denoise: 0.5, head: 'disc' },
  head_disc_features: { denoise: 0.5, head: 'disc', headFeatures: true },
};

type LoopFigures = { steps: number; seconds: number; firstLoss: number; lastLoss: number };

function loopFields(params: Record<string, unknown>) {
  const loop = params.loop as LoopFigures;
  const head = params.headLoop as LoopFigures | undefined;
  return {
    steps: loop.steps,
    loop_s: Math.round(loop.seconds),
    first_loss: r4(loop.firstLoss),
    last_loss: r4(loop.lastLoss),
    // Stage 2 (the discriminative head), absent with head 'none'.
    ...(head ? { head_steps: head.steps, head_loop_s: Math.round(head.seconds), head_first_loss: r4(head.firstLoss), head_last_loss: r4(head.lastLoss) } : {}),
  };
}

/**
 * BENCH_EAR_HEADS: head / map variants on the frozen U-Net in workDir (session 7): each re-exports by resume, training
 * only a head whose settings differ (its own checkpoint folder, disc.ts discDirName); an inference-only change trains nothing.
 */
async function headVariants(emit: Emit, prefix: string, ds: BenchDataset, tmp: string, workDir: string): Promise<void> {
  for (const [name, params] of Object.entries(JSON.parse(process.env.BENCH_EAR_HEADS ?? '{}') as Record<string, Record<string, unknown>>)) {
    const v = await trainAndEval(ear, ds, tmp, { params: { ...steps, ...params }, workDir, resume: true }, `head-${name}`);
    emit({ bench: `${prefix}.head_${name}`, ...metricFields(v.r), params, train_images: ds.split.train.length, train_s: Math.round(v.trained.json.training.seconds), ...loopFields(v.trained.json.params), ...machine() });
  }
}

async function magnetic(emit: Emit, full: BenchDataset, tmp: string): Promise<void> {
  // BENCH_EAR_TRAIN=N: the first N training images only (the exploration runs use 200, as KD's).
  const trainMax = Number(process.env.BENCH_EAR_TRAIN ?? Infinity);
  const mt = trainMax < full.split.train.length ? { ...full, split: { ...full.split, train: full.split.train.slice(0, trainMax), description: `${full.split.description}; first ${trainMax} training images` } } : full;
  // BENCH_EAR_WORKDIR keeps the default run's checkpoints (U-Net and head) for re-exporting or new heads later.
  const workDir = process.env.BENCH_EAR_WORKDIR ?? path.join(tmp, 'work-default');
  if (wanted('default') || wanted('skips_all_on')) {
    const { trained, r, peakRssMb, dir } = await trainAndEval(ear, mt, tmp, { params: { ...steps }, workDir, resume: Boolean(process.env.BENCH_EAR_RESUME) }, 'default');
    emit({
      bench: 'ear.magnetic_tile.default',
      ...metricFields(r),
      target: 'image_auroc within 0.03 of the best method (PatchCore 0.927)',
      skips: (trained.json.params.inferenceSkips as boolean[]).map(Number).join(','),
      train_images: mt.split.train.length,
      train_s: Math.round(trained.json.training.seconds),
      ...loopFields(trained.json.params),
      peak_rss_mb: peakRssMb,
      ...machine(),
    });
    // Inference latency at 256 x 256, batch 1, of the default model.
    const model = await AnomalyModel.load(dir);
    const ms = await latency256(model, 20);
    await model.release();
    emit({ bench: 'ear.infer_ms', value: Math.round(ms[10] * 10) / 10, unit: 'ms', target: '<=20', min: Math.round(ms[0] * 10) / 10, p90: Math.round(ms[18] * 10) / 10, provider: model.provider, ...machine() });
    await headVariants(emit, 'ear.magnetic_tile', mt, tmp, workDir);
    if (wanted('skips_all_on')) {
      const on = await trainAndEval(ear, mt, tmp, { params: { ...steps, skips: '1,1,1' }, workDir, resume: true }, 'skips-on');
      emit({ bench: 'ear.magnetic_tile.skips_all_on', ...metricFields(on.r), skips: '1,1,1', ...machine() });
    }
  }
  for (const [name, params] of Object.entries(VARIANTS)) {
    if (!wanted(name)) continue;
    const { trained, r } = await trainAndEval(ear, mt, tmp, { params: { ...steps, ...params } }, name);
    emit({ bench: `ear.magnetic_tile.${name}`, ...metricFields(r), params, train_s: Math.round(trained.json.training.seconds), ...loopFields(trained.json.params), ...machine() });
  }
  if (wanted('train_200')) {
    const split = mt.split;
    const t200: TrainingSplit = { train: split.train.slice(0, 200), val: split.val.slice(0, 10), test: [], description: 'first 200 training images' };
    let peakRss = 0;
    const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
    const t0 = performance.now();
    const trained = await ear.train({ root: mt.root, summary: mt.summary, split: t200, seed: 0, imageSize: 256, params: { ...steps } });
    clearInterval(timer);
    emit({ bench: 'ear.train_200', value: Math.round((performance.now() - t0) / 100) / 10, unit: 's', target: '<=900', ...loopFields(trained.json.params), timings: trained.json.params.timings, peak_rss_mb: Math.round(peakRss / 2 ** 20), ...machine() });
  }
}

export async function run(emit: Emit): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-ear-'));
  try {
    const mt = await magneticTile();
    if ('skipped' in mt) emit({ bench: 'ear.magnetic_tile', skipped: mt.skipped });
    else await magnetic(emit, mt, tmp);
    if (wanted('elpv')) {
      const el = await elpv();
      if ('skipped' in el) emit({ bench: 'ear.elpv', skipped: el.skipped });
      else {
        const workDir = path.join(process.env.BENCH_EAR_WORKDIR ?? tmp, 'elpv');
        const { trained, r } = await trainAndEval(ear, el, tmp, { params: { ...steps }, workDir, resume: Boolean(process.env.BENCH_EAR_RESUME) });
        emit({ bench: 'ear.elpv', image_auroc: r4(r.metrics.image.auroc), image_ap: r4(r.metrics.image.ap), train_images: el.split.train.length, test_images: r.metrics.images, train_s: Math.round(trained.json.training.seconds), ...loopFields(trained.json.params), ms_per_image: Math.round(r.msPerImage), ...machine() });
        await headVariants(emit, 'ear.elpv', el, tmp, workDir);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
