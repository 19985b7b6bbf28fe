/**
 * CoRe benchmarks (issue 8). Records (one JSON line each, with core count and load average):
 * - core.augment: views per second of the two-view + corrupted batch builder at 128 px (what feeds the trainer).
 * - core.throughput.ours / core.throughput.pytorch: pretraining images per second at 128 px, batch 16 (each image
 *   = two views + one corrupted copy through the encoder), training step only, median of a few steps; PyTorch via
 *   scripts/bench/core_torch_throughput.py under /usr/bin/python3 (skipped with the reason when not importable).
 * - core.magnetic_tile.<backbone>: PatchCore with its default settings on the magnetic-tile split of
 *   bench/lib/anomaly.ts, for the backbones random-init ResNet, CoRe on NEU-Seg (fixed budget), CoRe on magnetic
 *   tile's own training images (same budget), the committed default CoRe backbone, and ImageNet MobileNetV2; plus
 *   the control core_init: the CoRe encoder at its initialisation with BatchNorm statistics re-estimated on the
 *   magnetic-tile training images (recalibrate.ts), which separates what pretraining adds from what the BN
 *   architecture and recalibration alone do. Target: CoRe beats random init by >= 0.05 image AUROC.
 * Env: CORE_BENCH_STEPS (pretraining budget per CoRe backbone in steps of CORE_BENCH_BATCH images (default 8), default 80: a step budget
 * rather than minutes so the comparison does not depend on how contended the machine was), CORE_BENCH_DIR (keep/reuse the
 * pretrained backbones there; default a temp dir), BENCH_MAX_TEST (evenly spaced test subset), CORE_BENCH_ONLY
 * (comma list of: augment, throughput, patchcore), CORE_BENCH_BACKBONES (comma list of the backbone record names
 * to run, e.g. core_neu,random_resnet; default all), CORE_BENCH_PATCHCORE (JSON PatchCore params over its defaults,
 * e.g. '{"aggregate":3}' to compare with rows measured before the 9 x 9 / 13 x 13 default of commit 1627775).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeShapes } from '../src/main/engine/autodiff/shapes.js';
import { buildTrainingModel } from '../src/main/engine/optim/trainingGraph.js';
import { Trainer } from '../src/main/engine/runtime/trainer.js';
import { EpochOrder, loadSources, makeCoreBatch } from '../src/main/models/core/augment.js';
import { buildCoreBackbone, buildCorePretrainGraph } from '../src/main/models/core/network.js';
import { recalibrateBatchNorm, weightsOf } from '../src/main/models/core/recalibrate.js';
import { backboneBytes } from '../src/main/models/backbones/index.js';
import { DEFAULT_RESTORATIVE_WEIGHT, pretrainCore } from '../src/main/models/core/pretrain.js';
import { patchcore } from '../src/main/models/patchcore/index.js';
import { DATA, machine, magneticTile, metricFields, r4, trainAndEval, type Emit } from './lib/anomaly.js';
import { TORCH_PYTHON, torchUnavailableReason } from './engine-pytorch.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NEU = path.join(DATA, 'neu-seg', 'images', 'training');
const SIZE = 128;
const BATCH = 16;
/** Pretraining batch of the compared CoRe backbones (throughput is measured at BATCH). */
const PRETRAIN_BATCH = Number(process.env.CORE_BENCH_BATCH ?? 8);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function throughputSources() {
  const files = existsSync(NEU) ? readdirSync(NEU).slice(0, 64).map((f) => path.join(NEU, f)) : [];
  if (files.length) return { data: 'neu-seg (64 images)', ...(await loadSources(files, SIZE)) };
  const { makeTextures } = await import('../scripts/make-textures.js');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'core-bench-tex-'));
  return { data: 'generated textures (32)', ...(await loadSources(await makeTextures(dir, 32, 160, 0), SIZE)) };
}

async function benchAugment(emit: Emit): Promise<void> {
  const { images, data } = await throughputSources();
  const order = new EpochOrder(images.length, 0);
  makeCoreBatch(images, order, 0, 0, BATCH, SIZE);
  const ms: number[] = [];
  for (let s = 1; s <= 5; s++) {
    const t = performance.now();
    makeCoreBatch(images, order, s, 0, BATCH, SIZE);
    ms.push(performance.now() - t);
  }
  const m = median(ms);
  emit({ bench: 'core.augment', value: r4((3 * BATCH * 1000) / m), unit: 'views/s', ms_per_batch: Math.round(m), batch: BATCH, size: SIZE, data, note: 'one thread, plain JS; 3 views per image', ...machine() });
}

async function benchThroughput(emit: Emit): Promise<void> {
  const { images } = await throughputSources();
  const order = new EpochOrder(images.length, 0);
  const net = buildCorePretrainGraph({ seed: 0, batch: BATCH, imageSize: SIZE, temperature: 0.2, restorativeWeight: DEFAULT_RESTORATIVE_WEIGHT });
  const batch = makeCoreBatch(images, order, 0, 0, BATCH, SIZE);
  const training = buildTrainingModel(net.model, { loss: net.loss, params: net.params, optimizer: { kind: 'adamw', weightDecay: 1e-4 }, clipGradNorm: 5, shapes: await probeShapes(net.model, batch), reportOutputs: net.terms });
  const trainer = await Trainer.create(training, { threads: 2 });
  const ms: number[] = [];
  try {
    await trainer.step(batch, 1e-3);
    for (let s = 1; s <= 5; s++) {
      const b = makeCoreBatch(images, order, s, 0, BATCH, SIZE);
      const t = performance.now();
      await trainer.step(b, 1e-3);
      ms.push(performance.now() - t);
    }
  } finally {
    await trainer.release();
  }
  const ours = median(ms);
  emit({ bench: 'core.throughput.ours', value: r4((BATCH * 1000) / ours), unit: 'images/s', ms_per_step_median: Math.round(ours), ms_per_step_min: Math.round(Math.min(...ms)), batch: BATCH, size: SIZE, threads: 2, ...machine() });
  const reason = await torchUnavailableReason();
  if (reason) {
    emit({ bench: 'core.throughput.pytorch', skipped: true, reason });
    return;
  }
  const script = path.join(ROOT, 'scripts', 'bench', 'core_torch_throughput.py');
  const out = await new Promise<string>((resolve, reject) =>
    execFile(TORCH_PYTHON, ['-B', script, '--size', String(SIZE), '--batch', String(BATCH), '--steps', '5', '--threads', '2'], { timeout: 900_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${script} failed: ${stderr || err.message}`)) : resolve(String(stdout)),
    ),
  );
  const t = JSON.parse(out.trim().split('\n').pop() ?? '{}');
  emit({ bench: 'core.throughput.pytorch', value: t.images_per_s, unit: 'images/s', ms_per_step_median: t.ms_per_step_median, ms_per_step_min: t.ms_per_step_min, torch: t.torch, batch: BATCH, size: SIZE, threads: 2, ours_over_pytorch: r4(((BATCH * 1000) / ours) / t.images_per_s), ...machine() });
}

/** A CoRe backbone pretrained on `files` for `steps` steps, reused from CORE_BENCH_DIR when already there. */
async function coreBackbone(dir: string, name: string, files: string[], steps: number, emit: Emit): Promise<string> {
  const out = path.join(dir, `${name}.onnx`);
  if (existsSync(out)) return out;
  const work = path.join(dir, `${name}.work`);
  const resume = existsSync(path.join(work, 'core-checkpoint.onnx'));
  const res = await pretrainCore({ files, out, workDir: work, dataLabel: name, imageSize: SIZE, batch: PRETRAIN_BATCH, seed: 0, steps, resume });
  emit({ bench: `core.pretrain.${name}`, value: r4(res.seconds), unit: 's', images: res.images, steps: res.steps, total_steps: res.totalSteps, batch: PRETRAIN_BATCH, first_loss: r4(res.first?.loss), last_loss: r4(res.last?.loss), images_per_s: r4(((res.steps - res.startStep) * PRETRAIN_BATCH) / res.seconds), ...machine() });
  return out;
}

/** The control: the CoRe encoder at initialisation (seed 0), BatchNorm statistics re-estimated on `files`. */
async function initialBackbone(dir: string, files: string[]): Promise<string> {
  const out = path.join(dir, 'core-init.onnx');
  const initial = buildCoreBackbone(new Map(), { name: 'core-init', provenance: '' });
  const { images } = await loadSources(files, SIZE);
  const weights = await recalibrateBatchNorm(weightsOf(initial.model), images);
  const provenance = `CoRe encoder at initialisation (seed 0, no pretraining), BatchNorm statistics re-estimated on ${Math.min(64, images.length)} magnetic-tile training images`;
  await writeFile(out, backboneBytes(buildCoreBackbone(weights, { name: 'core-init', provenance })));
  return out;
}

async function benchPatchcore(emit: Emit): Promise<void> {
  const mt = await magneticTile();
  if ('skipped' in mt) {
    emit({ bench: 'core.magnetic_tile', skipped: mt.skipped });
    return;
  }
  const steps = Number(process.env.CORE_BENCH_STEPS ?? 80);
  const keep = process.env.CORE_BENCH_DIR;
  const dir = keep ?? mkdtempSync(path.join(os.tmpdir(), 'bench-core-'));
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-core-models-'));
  try {
    const wanted = new Set((process.env.CORE_BENCH_BACKBONES ?? 'random_resnet,core_init,core_neu,core_mt,core_default,imagenet_mobilenetv2').split(','));
    const mtTrain = mt.split.train.map((r) => path.join(mt.root, r.path));
    const backbones: [string, string][] = [];
    if (wanted.has('random_resnet')) backbones.push(['random_resnet', 'resnet']);
    if (wanted.has('core_init')) backbones.push(['core_init', await initialBackbone(dir, mtTrain)]);
    if (wanted.has('core_neu') && !existsSync(NEU)) emit({ bench: 'core.magnetic_tile.core_neu', skipped: `${NEU} is absent` });
    else if (wanted.has('core_neu')) backbones.push(['core_neu', await coreBackbone(dir, 'core-neu', readdirSync(NEU).map((f) => path.join(NEU, f)), steps, emit)]);
    if (wanted.has('core_mt')) backbones.push(['core_mt', await coreBackbone(dir, 'core-mt', mtTrain, steps, emit)]);
    if (wanted.has('core_default')) backbones.push(['core_default', 'core-default']);
    if (wanted.has('imagenet_mobilenetv2')) backbones.push(['imagenet_mobilenetv2', 'mobilenetv2']);
    const results: Record<string, number | null> = {};
    for (const [name, backbone] of backbones) {
      const params = process.env.CORE_BENCH_PATCHCORE ? JSON.parse(process.env.CORE_BENCH_PATCHCORE) : undefined;
      const { trained, r } = await trainAndEval(patchcore, mt, tmp, { backbone, ...(params ? { params } : {}) }, name);
      results[name] = r.metrics.image.auroc;
      emit({ bench: `core.magnetic_tile.${name}`, backbone: trained.json.backbone.name, ...metricFields(r), train_s: Math.round(trained.json.training.seconds * 10) / 10, provenance: trained.json.backbone.provenance, patchcore_aggregate: (trained.json.params as { aggregate?: unknown }).aggregate, ...machine() });
    }
    if (results.random_resnet === undefined) return;
    const base = results.random_resnet ?? 0;
    for (const k of ['core_init', 'core_neu', 'core_mt', 'core_default']) {
      if (results[k] === undefined || results[k] === null) continue;
      emit({ bench: `core.magnetic_tile.${k}.gain_over_random`, value: r4(results[k]! - base), unit: 'image AUROC', target: '>= 0.05', pass: results[k]! - base >= 0.05, vs_imagenet: results.imagenet_mobilenetv2 === undefined ? null : r4(results[k]! - results.imagenet_mobilenetv2!) });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(emit: Emit): Promise<void> {
  const only = new Set((process.env.CORE_BENCH_ONLY ?? 'augment,throughput,patchcore').split(','));
  if (only.has('augment')) await benchAugment(emit);
  if (only.has('throughput')) await benchThroughput(emit);
  if (only.has('patchcore')) await benchPatchcore(emit);
}
