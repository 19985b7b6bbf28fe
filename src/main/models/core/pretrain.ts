/**
 * CoRe pretraining: images -> two-view + corrupted batches (augment.ts, corrupt.ts) -> the contrastive +
 * restorative training graph (network.ts) -> AdamW with a cosine schedule through runTrainingLoop (checkpoints,
 * resume, time budget, progress) -> a backbone ONNX file with its BackboneInfo (backbones/index.ts format).
 *
 * Time budget: the number of steps is fixed before training from a measured step time (two timing steps whose
 * updates are rolled back), so the cosine schedule is known; it is stored in the checkpoint's metadata and a
 * resumed run uses the stored value, so it ends with the same step count whatever its own budget.
 * Per-step losses go to <out without .onnx>.loss.jsonl (appended to on resume).
 */
import { appendFileSync, existsSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../../../shared/errors.js';
import { probeShapes } from '../../engine/autodiff/shapes.js';
import { onnx, type ModelProto } from '../../engine/onnx/proto.js';
import { buildTrainingModel } from '../../engine/optim/trainingGraph.js';
import { writeFileAtomic } from '../../engine/runtime/atomicWrite.js';
import { loadCheckpoint } from '../../engine/runtime/checkpoint.js';
import { cosineSchedule, runTrainingLoop, type LoopProgress } from '../../engine/runtime/loop.js';
import { Trainer } from '../../engine/runtime/trainer.js';
import { backboneBytes } from '../backbones/index.js';
import { EpochOrder, loadSources, makeCoreBatch, minSideFor, prefetching } from './augment.js';
import { buildCoreBackbone, buildCorePretrainGraph, CORE_TERMS } from './network.js';
import { recalibrateBatchNorm } from './recalibrate.js';

export interface PretrainOptions {
  /** Image files (absolute paths). */
  files: string[];
  /** Where the backbone .onnx is written. */
  out: string;
  /** Checkpoint folder. */
  workDir: string;
  /** Describes the data in the backbone's provenance (e.g. the folder). */
  dataLabel?: string;
  imageSize?: number;
  batch?: number;
  seed?: number;
  /** Exactly one of minutes / epochs (minutes wins when both are given). */
  minutes?: number;
  epochs?: number;
  /** Fixed step count (tests, reproducible recipes); overrides minutes/epochs when set. */
  steps?: number;
  lr?: number;
  weightDecay?: number;
  temperature?: number;
  restorativeWeight?: number;
  /** Standardise every view as the methods standardise their inputs (augment.ts BatchOptions); default true. */
  standardise?: boolean;
  /** Re-estimate the BatchNorm statistics on the whole (un-augmented) images before export (recalibrate.ts); default true. */
  recalibrate?: boolean;
  resume?: boolean;
  signal?: AbortSignal;
  threads?: number;
  onProgress?(p: PretrainProgress): void;
  log?(line: string): void;
}

export interface PretrainProgress extends LoopProgress {
  contrastive: number;
  restorative: number;
  lr: number;
}

export interface PretrainResult {
  out: string;
  lossLog: string;
  images: number;
  skipped: { file: string; reason: string }[];
  steps: number;
  totalSteps: number;
  startStep: number;
  stoppedBy: 'done' | 'cancelled' | 'budget';
  seconds: number;
  /** Mean loss terms of the first and last 10 steps run by this call. */
  first: { loss: number } | null;
  last: { loss: number } | null;
}

/** Settings stored in the checkpoint: a resumed run must use the same ones. */
interface RunConfig {
  totalSteps: number;
  imageSize: number;
  batch: number;
  seed: number;
  images: number;
  lr: number;
  weightDecay: number;
  temperature: number;
  restorativeWeight: number;
  /** Absent in checkpoints written before the option existed (they were not standardised). */
  standardise?: boolean;
}
const META_RUN = 'defect-studio.core.run';
/** Restorative MSE weight: the MSE of standardised images is ~0.01-0.08, so 20 puts it within an order of magnitude of the InfoNCE term (~2-3). */
export const DEFAULT_RESTORATIVE_WEIGHT = 20;

export const lossLogFor = (out: string) => `${out.replace(/\.onnx$/i, '')}.loss.jsonl`;

function withRunConfig(model: ModelProto, cfg: RunConfig): ModelProto {
  const meta = (model.metadataProps ?? []).filter((p) => p.key !== META_RUN);
  return onnx.ModelProto.create({ ...model, metadataProps: [...meta, { key: META_RUN, value: JSON.stringify(cfg) }] });
}

export async function pretrainCore(o: PretrainOptions): Promise<PretrainResult> {
  const began = Date.now();
  const imageSize = o.imageSize ?? 128;
  const seed = o.seed ?? 0;
  if (!Number.isInteger(imageSize) || imageSize < 32 || imageSize % 16 !== 0) {
    throw new StudioError('BAD_REQUEST', `The pretraining image size must be a multiple of 16 of at least 32 px, got ${imageSize}.`);
  }
  if (o.files.length === 0) {
    throw new StudioError('INVALID_STATE', `${o.dataLabel ?? 'The data folder'} has no images to pretrain on; point --data at a folder of image files (PNG, JPEG, BMP, TIFF).`);
  }
  const { images, skipped } = await loadSources(o.files, imageSize, o.signal);
  if (images.length < 2) {
    const why = skipped.length ? ` ${skipped.length} file(s) were skipped, e.g. ${skipped[0].file}: ${skipped[0].reason}.` : '';
    throw new StudioError(
      'INVALID_STATE',
      `CoRe needs at least 2 usable images (contrastive negatives), ${o.dataLabel ?? 'the data'} gave ${images.length}.${why} ` +
        `Images need a short side of at least ${minSideFor(imageSize)} px at --image-size ${imageSize}; use a smaller --image-size or larger images.`,
    );
  }
  for (const s of skipped.slice(0, 5)) o.log?.(`skipped ${s.file}: ${s.reason}`);
  if (skipped.length > 5) o.log?.(`... and ${skipped.length - 5} more skipped`);

  await mkdir(o.workDir, { recursive: true });
  const checkpointFile = path.join(o.workDir, 'core-checkpoint.onnx');
  let stored: RunConfig | null = null;
  if (o.resume && existsSync(checkpointFile)) {
    const { model } = await loadCheckpoint(checkpointFile);
    const v = model.metadataProps?.find((p) => p.key === META_RUN)?.value;
    if (!v) throw new StudioError('UNREADABLE', `${checkpointFile} is not a CoRe pretraining checkpoint (no "${META_RUN}" metadata); delete it or use another --work-dir.`);
    stored = JSON.parse(v) as RunConfig;
    const requested = { imageSize, seed, images: images.length };
    for (const [k, want] of Object.entries(requested)) {
      const had = stored[k as keyof RunConfig];
      if (had !== want) throw new StudioError('BAD_REQUEST', `Cannot resume ${checkpointFile}: it was started with ${k} ${had}, this run has ${want}. Use the same settings and data, or a fresh --work-dir.`);
    }
  }
  const cfg: RunConfig = stored ?? {
    totalSteps: 0,
    imageSize,
    batch: Math.min(o.batch ?? 16, images.length),
    seed,
    images: images.length,
    lr: o.lr ?? 1e-3,
    weightDecay: o.weightDecay ?? 1e-4,
    temperature: o.temperature ?? 0.2,
    restorativeWeight: o.restorativeWeight ?? DEFAULT_RESTORATIVE_WEIGHT,
    standardise: o.standardise ?? true,
  };
  const B = cfg.batch;
  const stepsPerEpoch = Math.ceil(images.length / B);
  const order = new EpochOrder(images.length, seed);
  const makeBatch = (step: number) => makeCoreBatch(images, order, step, seed, B, imageSize, { standardise: cfg.standardise ?? false });

  const net = buildCorePretrainGraph({ seed, batch: B, imageSize, temperature: cfg.temperature, restorativeWeight: cfg.restorativeWeight });
  const shapes = await probeShapes(net.model, makeBatch(0));
  const training = buildTrainingModel(net.model, {
    loss: net.loss,
    params: net.params,
    optimizer: { kind: 'adamw', weightDecay: cfg.weightDecay },
    shapes,
    clipGradNorm: 5,
    reportOutputs: net.terms,
  });
  const trainer = await Trainer.create(training, { threads: o.threads, log: o.log, optimizerName: 'adamw' });
  try {
    if (!stored) {
      if (o.steps !== undefined) cfg.totalSteps = o.steps;
      else if (o.minutes !== undefined) {
        // Two timing steps (the first warms ORT up), then the initial state is put back.
        const snapshot = new Map([...trainer.stateTensors()].map(([k, v]) => [k, { dims: v.dims, data: Float32Array.from(v.data as Float32Array) }]));
        await trainer.step(makeBatch(0), 0);
        const t0 = Date.now();
        await trainer.step(makeBatch(1), 0);
        const stepSeconds = (Date.now() - t0) / 1000;
        trainer.restore({ step: 0, tensors: snapshot });
        const left = o.minutes * 60 - (Date.now() - began) / 1000;
        cfg.totalSteps = Math.max(1, Math.floor((left * 0.95) / stepSeconds));
        o.log?.(`core: measured ${stepSeconds.toFixed(2)} s/step at batch ${B}, ${imageSize} px -> ${cfg.totalSteps} steps in ${o.minutes} min`);
      } else cfg.totalSteps = Math.max(1, Math.round((o.epochs ?? 1) * stepsPerEpoch));
    }
    const forward = withRunConfig(net.model, cfg);
    const lr = cosineSchedule(cfg.lr, cfg.totalSteps, { warmup: Math.min(50, Math.floor(cfg.totalSteps / 10)), floor: 0.01 });
    const lossLog = lossLogFor(o.out);
    await mkdir(path.dirname(path.resolve(o.out)), { recursive: true });
    if (!stored) await writeFile(lossLog, '');
    const lines: string[] = [];
    const res = await runTrainingLoop({
      trainer,
      forward,
      totalSteps: cfg.totalSteps,
      stepsPerEpoch,
      batchImages: B,
      makeBatch: prefetching(makeBatch),
      lr,
      checkpointFile,
      checkpointEverySeconds: 120,
      resume: Boolean(stored),
      signal: o.signal,
      budgetSeconds: o.minutes !== undefined && o.steps === undefined ? Math.max(1, o.minutes * 60 - (Date.now() - began) / 1000) : undefined,
      reportEvery: 1,
      onProgress: (p) => {
        const contrastive = p.losses[CORE_TERMS.contrastive];
        const restorative = p.losses[CORE_TERMS.restorative];
        lines.push(JSON.stringify({ step: p.step, loss: p.losses.loss, contrastive, restorative, lr: lr(p.step - 1), images_per_s: p.imagesPerSecond }));
        // Flushed every 10 steps so a long run's curve can be watched (and survives a kill).
        if (lines.length >= 10) appendFileSync(lossLog, lines.splice(0).join('\n') + '\n');
        o.onProgress?.({ ...p, contrastive, restorative, lr: lr(p.step - 1) });
      },
    });
    if (lines.length) await appendFile(lossLog, lines.join('\n') + '\n');
    if (res.stoppedBy === 'cancelled') throw new StudioError('CANCELLED', `Pretraining was cancelled at step ${res.steps}/${cfg.totalSteps}; resume with --resume --work-dir ${o.workDir}.`);
    const trained = trainer.stateTensors();
    const recal = o.recalibrate ?? true;
    const weights = recal ? await recalibrateBatchNorm(trained, images, { photometric: cfg.standardise ?? false }) : trained;
    const backbone = buildCoreBackbone(weights, {
      name: `core-${path.basename(o.out).replace(/\.onnx$/i, '')}`,
      provenance:
        `CoRe contrastive + restorative pretraining (src/main/models/core) on ${images.length} images of ${o.dataLabel ?? 'unlabeled data'}, ` +
        `${imageSize} px, batch ${B}, seed ${seed}, ${res.steps}/${cfg.totalSteps} steps, ` +
        `temperature ${cfg.temperature}, restorative weight ${cfg.restorativeWeight}, ${cfg.standardise ? 'standardised views' : 'raw views'}` +
        (recal ? `, BatchNorm statistics re-estimated on ${Math.min(64, images.length)} whole images` : ''),
    }, seed);
    await writeFileAtomic(o.out, backboneBytes(backbone));
    const mean = (xs: number[]) => (xs.length ? { loss: xs.reduce((a, b) => a + b, 0) / xs.length } : null);
    return {
      out: o.out,
      lossLog,
      images: images.length,
      skipped,
      steps: res.steps,
      totalSteps: cfg.totalSteps,
      startStep: res.startStep,
      stoppedBy: res.stoppedBy,
      seconds: (Date.now() - began) / 1000,
      first: mean(res.losses.slice(0, 10)),
      last: mean(res.losses.slice(-10)),
    };
  } finally {
    await trainer.release();
  }
}
