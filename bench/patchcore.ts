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
 * Every record carries the core count and load average: this machine is shared, so wall times are contended.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatasetSummary, ImageRecord } from '../src/shared/dataset.js';
import { scanDataset } from '../src/main/data/scan.js';
import { evaluateModel } from '../src/main/models/evaluate.js';
import { MetricsCollector } from '../src/main/metrics/index.js';
import { AnomalyModel } from '../src/main/models/inference.js';
import { writeModelFolder } from '../src/main/models/modelFolder.js';
import { patchcore } from '../src/main/models/patchcore/index.js';
import { splitForTraining, type TrainingSplit } from '../src/main/models/split.js';
import { ort } from '../src/main/models/session.js';

type Emit = (record: Record<string, unknown>) => void;

const DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data');
const BACKBONES = ['mobilenetv2', 'resnet'];
const machine = () => ({ cores: os.availableParallelism(), load1: Math.round(os.loadavg()[0] * 100) / 100 });
const r4 = (x: number | undefined) => (x === undefined ? null : Math.round(x * 10000) / 10000);

function subset<T>(items: T[]): T[] {
  const max = Number(process.env.BENCH_PATCHCORE_MAX_TEST ?? Infinity);
  if (!(max < items.length)) return items;
  const step = items.length / max;
  return Array.from({ length: max }, (_, i) => items[Math.floor(i * step)]);
}

async function trainAndEval(root: string, summary: Pick<DatasetSummary, 'layout' | 'byLabel'>, split: TrainingSplit, backbone: string, tmp: string) {
  let peakRss = 0;
  const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const trained = await patchcore.train({ root, summary, split, backbone, seed: 0 });
  clearInterval(timer);
  const dir = path.join(tmp, `${path.basename(root)}-${backbone}`);
  await writeModelFolder(dir, trained.onnx, trained.json);
  const model = await AnomalyModel.load(dir);
  const r = await evaluateModel(model, root, subset(split.test));
  await model.release();
  return { trained, r, peakRssMb: Math.round(peakRss / 2 ** 20) };
}

function elpvRecords(root: string): ImageRecord[] {
  return readFileSync(path.join(root, 'labels.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([p, prob]) => ({ path: p, split: 'unsplit' as const, label: Number(prob) === 0 ? 'good' : 'defective', maskPath: null, width: 300, height: 300, bytes: 0, mtimeMs: 0 }));
}

/** Metrics on ~20M pixels: 300 generated 256 x 256 maps, half with one 19 x 29 px defect. value = compute() time. */
/** Sorted per-call times (ms) of `runs` batch-1 inferences on a 256 x 256 image, after 3 warm-up calls. */
export async function latency256(model: AnomalyModel, runs: number): Promise<number[]> {
  const data = new Uint8Array(3 * 256 * 256).map((_, i) => (i * 7) % 251);
  const geometry = { width: 256, height: 256, inWidth: 256, inHeight: 256, crop: { left: 0, top: 0, width: 256, height: 256 } };
  for (let i = 0; i < 3; i++) await model.run({ data, geometry });
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await model.run({ data, geometry });
    ms.push(performance.now() - t);
  }
  return ms.sort((a, b) => a - b);
}

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
  benchMetrics(emit);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-patchcore-'));
  try {
    const mt = path.join(DATA, 'magnetic-tile');
    if (!existsSync(mt)) emit({ bench: 'patchcore.magnetic_tile', skipped: `${mt} is absent` });
    else {
      const { summary, images } = await scanDataset(mt);
      const split = splitForTraining(images, 0, mt);
      for (const backbone of BACKBONES) {
        const { trained, r, peakRssMb } = await trainAndEval(mt, summary, split, backbone, tmp);
        const m = r.metrics;
        emit({
          bench: `patchcore.magnetic_tile.${backbone}`,
          image_auroc: r4(m.image.auroc),
          pixel_auroc: r4(m.pixel?.auroc),
          pro: r4(m.pro),
          image_ap: r4(m.image.ap),
          pixel_ap: r4(m.pixel?.ap),
          per_class_image_auroc: Object.fromEntries(Object.entries(r.perLabel).map(([k, v]) => [k, r4(v.auroc)])),
          target: 'image_auroc>=0.98, pixel_auroc>=0.97',
          train_images: split.train.length,
          test_images: m.images,
          train_s: Math.round(trained.json.training.seconds * 10) / 10,
          ms_per_image: Math.round(r.msPerImage),
          bank: trained.json.params.bankSize,
          peak_rss_mb: peakRssMb,
          ...machine(),
        });
      }
      // Training time on 200 images at 256 px (short side), default backbone.
      const t200: TrainingSplit = { train: split.train.slice(0, 200), val: split.val.slice(0, 10), test: [], description: 'first 200 training images' };
      let peakRss = 0;
      const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
      const t0 = performance.now();
      const trained = await patchcore.train({ root: mt, summary, split: t200, seed: 0, imageSize: 256 });
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

    const elpv = path.join(DATA, 'elpv');
    if (!existsSync(elpv)) emit({ bench: 'patchcore.elpv', skipped: `${elpv} is absent` });
    else {
      const images = elpvRecords(elpv);
      const split = splitForTraining(images, 0, elpv);
      const byLabel = { good: images.filter((r) => r.label === 'good').length, defective: images.filter((r) => r.label !== 'good').length };
      for (const backbone of BACKBONES) {
        const { trained, r } = await trainAndEval(elpv, { layout: 'folder', byLabel }, split, backbone, tmp);
        emit({
          bench: `patchcore.elpv.${backbone}`,
          image_auroc: r4(r.metrics.image.auroc),
          image_ap: r4(r.metrics.image.ap),
          train_images: split.train.length,
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
