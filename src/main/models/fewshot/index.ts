/**
 * Few-shot fine-tuning (issue 10): a segmentation head trained on a handful of labelled defect images, on top of
 * frozen backbone features and the anomaly map of a base unsupervised model folder (e.g. PatchCore). The result
 * is an ordinary model folder: anomaly_map = defect probability at the image grid, score = mean of its top 0.3%.
 * See README.md.
 *
 * As a MethodDefinition, params: { base: model folder (required), shots?: per class (default 5), masks?: folder
 * of mask PNGs, labeled?: ImageRecord[] (use these instead of a seeded pick from split.test), fewshot params }.
 */
import type { ImageRecord } from '../../../shared/dataset.js';
import { StudioError } from '../../../shared/errors.js';
import { MODEL_FORMAT_VERSION, readModelFolder, scoreStats, type ModelJson } from '../modelFolder.js';
import { backboneRecord } from '../oneClassModelJson.js';
import { chooseThreshold } from '../threshold.js';
import type { MethodDefinition, TrainRequest, TrainedModel } from '../types.js';
import { maskFileFor, pickShots, type LabeledImage } from './labels.js';
import { DEFAULT_FEWSHOT_PARAMS, trainFewShot, type FewShotParams } from './train.js';

export const DEFAULT_SHOTS = 5;

export interface FewShotRequestParams extends Partial<FewShotParams> {
  base?: string;
  shots?: number;
  masks?: string;
  labeled?: ImageRecord[];
}

/** The labelled images a request trains on: the given records (each must have a mask) or a seeded pick. */
export function labelledFor(req: Pick<TrainRequest, 'root' | 'split' | 'seed'>, o: FewShotRequestParams): LabeledImage[] {
  if (!o.labeled) return pickShots(req.root, req.split.test, o.shots ?? DEFAULT_SHOTS, req.seed, o.masks);
  return o.labeled.map((record) => {
    const maskFile = maskFileFor(req.root, record, o.masks);
    if (!maskFile) throw new StudioError('BAD_REQUEST', `Labelled image ${record.path} has no mask${o.masks ? ` in ${o.masks}` : ''}; draw one or leave the image out.`);
    return { record, maskFile };
  });
}

/** Test images minus the labelled ones: what a fine-tuned model may honestly be evaluated on. */
export function heldOut(test: ImageRecord[], labelled: LabeledImage[]): ImageRecord[] {
  const used = new Set(labelled.map((l) => l.record.path));
  return test.filter((r) => !used.has(r.path));
}

const meanOf = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

async function train(req: TrainRequest): Promise<TrainedModel> {
  const started = performance.now();
  const o = (req.params ?? {}) as FewShotRequestParams;
  if (!o.base) throw new StudioError('BAD_REQUEST', 'Few-shot fine-tuning needs a base model folder (params.base, or `finetune --base MODELDIR`); train one with `train --method patchcore` first.');
  const base = await readModelFolder(o.base);
  const shots = labelledFor(req, o);
  const params: FewShotParams = { ...DEFAULT_FEWSHOT_PARAMS };
  for (const key of Object.keys(DEFAULT_FEWSHOT_PARAMS) as (keyof FewShotParams)[]) if (typeof o[key] === 'number') (params as unknown as Record<string, number>)[key] = o[key] as number;
  if (o.levels) params.levels = o.levels;
  if (o.imageScore === 'base' || o.imageScore === 'head') params.imageScore = o.imageScore;
  const r = await trainFewShot({ root: req.root, base, shots, val: req.split.val, params, seed: req.seed, onProgress: req.onProgress, signal: req.signal, workDir: req.workDir, resume: req.resume });
  const { threshold, source } = chooseThreshold(r.valScores);
  const good = r.valScores.filter((v) => v.label === 'good').map((v) => v.score);
  const classes = [...new Set(shots.map((s) => s.record.label))].sort();
  const json: ModelJson = {
    format: 'defect-studio-model',
    version: MODEL_FORMAT_VERSION,
    method: 'fewshot',
    createdAt: new Date().toISOString(),
    backbone: backboneRecord(r.backbone, r.backbone.features.filter((f) => r.levels.includes(f.name))),
    input: { name: 'image', dtype: 'uint8', layout: 'NCHW', channels: 3, ...r.spec, note: `as the base model (${base.dir}): RGB planes 0-255, geometry per src/main/data/preprocess.ts; the base model and the head are inside model.onnx` },
    outputs: { map: 'anomaly_map', score: 'score' },
    threshold,
    thresholdSource: source,
    scoreStats: scoreStats(good),
    mapPng: { maxValue: 1, formula: 'value = png16 / 65535 (the map is a defect probability in [0, 1])' },
    training: {
      root: req.root,
      layout: req.summary.layout,
      split: `${shots.length} labelled defect images (${classes.join(', ')}; seed ${req.seed}) from the base model's test split; threshold from ${good.length} good validation images + the labelled images (biased high)`,
      seed: base.json.training.seed,
      trainImages: shots.length,
      valImages: good.length,
      byLabel: req.summary.byLabel,
      seconds: (performance.now() - started) / 1000,
    },
    params: {
      ...params,
      base: { dir: base.dir, method: base.json.method, threshold: base.json.threshold, createdAt: base.json.createdAt },
      shots: shots.length,
      shotsPerClass: Object.fromEntries(classes.map((c) => [c, shots.filter((s) => s.record.label === c).length])),
      labelled: shots.map((s) => s.record.path),
      fineTuneSeed: req.seed,
      levels: r.levels,
      posWeight: r.posWeight,
      cropCells: r.cropCells,
      steps: r.loop.steps,
      // Means over the first and last tenth of the steps: single-step losses are noisy (random crops).
      firstLoss: meanOf(r.loop.losses.slice(0, Math.ceil(r.loop.losses.length / 10))),
      lastLoss: meanOf(r.loop.losses.slice(-Math.ceil(r.loop.losses.length / 10))),
      timings: r.timings,
    },
  };
  return { onnx: r.onnx, json };
}

export const fewshot: MethodDefinition = {
  name: 'fewshot',
  summary: 'Few-shot segmentation head on frozen backbone features + a base model map, from a few labelled defects',
  learningType: 'supervised',
  defaultBackbone: 'mobilenetv2',
  train,
};
