/**
 * Shared pieces of the anomaly-method benchmarks (patchcore, kd, ear, core, fewshot): the data location, the
 * magnetic-tile and ELPV splits every method is compared on, train-then-evaluate for any MethodDefinition, the
 * 256 px latency probe and the machine stamp every record carries (the machine is shared; wall times are contended).
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatasetSummary, ImageRecord } from '../../src/shared/dataset.js';
import { scanDataset } from '../../src/main/data/scan.js';
import { evaluateModel, type EvalResult } from '../../src/main/models/evaluate.js';
import { AnomalyModel } from '../../src/main/models/inference.js';
import { writeModelFolder } from '../../src/main/models/modelFolder.js';
import { splitForTraining, type TrainingSplit } from '../../src/main/models/split.js';
import type { MethodDefinition, TrainedModel, TrainRequest } from '../../src/main/models/types.js';

export type Emit = (record: Record<string, unknown>) => void;

export const DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'data');
export const machine = () => ({ cores: os.availableParallelism(), load1: Math.round(os.loadavg()[0] * 100) / 100 });
export const r4 = (x: number | undefined | null) => (x === undefined || x === null ? null : Math.round(x * 10000) / 10000);

/** An evenly spaced subset of at most BENCH_MAX_TEST (or BENCH_PATCHCORE_MAX_TEST) items: quicker, noisier. */
export function subset<T>(items: T[]): T[] {
  const max = Number(process.env.BENCH_MAX_TEST ?? process.env.BENCH_PATCHCORE_MAX_TEST ?? Infinity);
  if (!(max < items.length)) return items;
  const step = items.length / max;
  return Array.from({ length: max }, (_, i) => items[Math.floor(i * step)]);
}

export interface BenchDataset {
  root: string;
  summary: Pick<DatasetSummary, 'layout' | 'byLabel'>;
  split: TrainingSplit;
}

/** Magnetic tile, seed-0 split: 50% of MT_Free train (10% of it held out for the threshold), the rest + every defect test. */
export async function magneticTile(): Promise<BenchDataset | { skipped: string }> {
  const root = path.join(DATA, 'magnetic-tile');
  if (!existsSync(root)) return { skipped: `${root} is absent` };
  const { summary, images } = await scanDataset(root);
  return { root, summary, split: splitForTraining(images, 0, root) };
}

/** ELPV cells: good = defect probability 0, defective = > 0; same seeded split. */
export async function elpv(): Promise<BenchDataset | { skipped: string }> {
  const root = path.join(DATA, 'elpv');
  if (!existsSync(root)) return { skipped: `${root} is absent` };
  const images: ImageRecord[] = readFileSync(path.join(root, 'labels.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([p, prob]) => ({ path: p, split: 'unsplit' as const, label: Number(prob) === 0 ? 'good' : 'defective', maskPath: null, width: 300, height: 300, bytes: 0, mtimeMs: 0 }));
  const byLabel = { good: images.filter((r) => r.label === 'good').length, defective: images.filter((r) => r.label !== 'good').length };
  return { root, summary: { layout: 'folder', byLabel }, split: splitForTraining(images, 0, root) };
}

export interface TrainEvalResult {
  trained: TrainedModel;
  r: EvalResult;
  peakRssMb: number;
  /** Model folder written under tmp (valid until the caller removes tmp). */
  dir: string;
}

/**
 * Trains `method` on ds.split.train, writes the model folder under tmp, evaluates it on (a subset of) ds.split.test.
 * BENCH_SEED=N trains with seed N instead of 0 (seed repeats; the split stays the seed-0 split).
 */
export async function trainAndEval(
  method: MethodDefinition,
  ds: BenchDataset,
  tmp: string,
  req: Partial<Omit<TrainRequest, 'root' | 'summary' | 'split'>> = {},
  tag = method.name,
): Promise<TrainEvalResult> {
  let peakRss = 0;
  const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  let trained: TrainedModel;
  try {
    trained = await method.train({ root: ds.root, summary: ds.summary, split: ds.split, seed: Number(process.env.BENCH_SEED ?? 0), ...req });
  } finally {
    clearInterval(timer);
  }
  const dir = path.join(tmp, `${path.basename(ds.root)}-${tag}-${req.backbone ?? 'default'}`.replace(/[^A-Za-z0-9._-]/g, '_'));
  await writeModelFolder(dir, trained.onnx, trained.json);
  const model = await AnomalyModel.load(dir);
  try {
    const r = await evaluateModel(model, ds.root, subset(ds.split.test));
    return { trained, r, peakRssMb: Math.round(peakRss / 2 ** 20), dir };
  } finally {
    await model.release();
  }
}

/** The usual metrics fields of a record. */
export function metricFields(r: EvalResult) {
  const m = r.metrics;
  return {
    image_auroc: r4(m.image.auroc),
    pixel_auroc: r4(m.pixel?.auroc),
    pro: r4(m.pro),
    image_ap: r4(m.image.ap),
    pixel_ap: r4(m.pixel?.ap),
    per_class_image_auroc: Object.fromEntries(Object.entries(r.perLabel).map(([k, v]) => [k, r4(v.auroc)])),
    test_images: m.images,
    ms_per_image: Math.round(r.msPerImage),
  };
}

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
