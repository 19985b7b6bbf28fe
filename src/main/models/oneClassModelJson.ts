/**
 * model.json of a one-class method (PatchCore, KD, EAR): the threshold chosen from validation scores, good-score
 * statistics, the 16-bit map scale, the training-data summary and the input spec. One builder, so every method's
 * folder records the same fields the same way and `inspect`/`eval`/export read them without knowing the method.
 */
import type { PreprocessSpec } from '../data/preprocess.js';
import type { Backbone, FeatureSpec } from './backbones/types.js';
import { MODEL_FORMAT_VERSION, scoreStats, type ModelJson } from './modelFolder.js';
import { chooseThreshold } from './threshold.js';
import type { TrainRequest } from './types.js';

export interface OneClassModelJsonInput {
  method: string;
  req: TrainRequest;
  backbone: Backbone;
  /** The backbone features the model uses. */
  features: FeatureSpec[];
  spec: PreprocessSpec;
  /** Scores of the validation images (good, and defective where the split has them). */
  valScores: { label: string; score: number }[];
  /** What model.onnx does after the uint8 planes (recorded in input.note). */
  inGraph: string;
  params: Record<string, unknown>;
  /** performance.now() when training began. */
  started: number;
}

/** model.json's backbone block: the features a model uses, every part's normalisation, and how to resolve it again. */
export function backboneRecord(backbone: Backbone, features: FeatureSpec[]): ModelJson['backbone'] {
  return {
    name: backbone.name,
    provenance: backbone.provenance,
    features,
    normalisation: backbone.normalisation,
    ...(backbone.parts ? { parts: backbone.parts } : {}),
    ...(backbone.source ? { source: backbone.source } : {}),
  };
}

export function oneClassModelJson(o: OneClassModelJsonInput): ModelJson {
  const { threshold, source } = chooseThreshold(o.valScores);
  const goodScores = o.valScores.filter((v) => v.label === 'good').map((v) => v.score);
  const { req, backbone } = o;
  return {
    format: 'defect-studio-model',
    version: MODEL_FORMAT_VERSION,
    method: o.method,
    createdAt: new Date().toISOString(),
    backbone: backboneRecord(backbone, o.features),
    input: {
      name: 'image',
      dtype: 'uint8',
      layout: 'NCHW',
      channels: 3,
      ...o.spec,
      note: `RGB planes 0-255 (grayscale replicated), geometry per src/main/data/preprocess.ts; ${o.inGraph} are inside model.onnx`,
    },
    outputs: { map: 'anomaly_map', score: 'score' },
    threshold,
    thresholdSource: source,
    scoreStats: scoreStats(goodScores),
    mapPng: { maxValue: threshold > 0 ? 2 * threshold : 1, formula: 'value = png16 / 65535 * maxValue (values above maxValue are clamped; the threshold is mid-scale)' },
    training: {
      root: req.root,
      layout: req.summary.layout,
      split: req.split.description + (req.split.val.length ? '' : '; no held-out images: threshold from training-image scores (biased low)'),
      seed: req.seed,
      trainImages: req.split.train.length,
      valImages: req.split.val.length,
      byLabel: req.summary.byLabel,
      seconds: (performance.now() - o.started) / 1000,
    },
    params: o.params,
  };
}
