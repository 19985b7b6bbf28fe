/**
 * What every method folder exports (models/<method>/index.ts): one MethodDefinition. All methods produce the
 * same model folder (modelFolder.ts), so inspection and evaluation never depend on the method.
 */
import type { DatasetSummary } from '../../shared/dataset.js';
import type { ModelJson } from './modelFolder.js';
import type { TrainingSplit } from './split.js';

export interface TrainProgressEvent {
  stage: string;
  done: number;
  total: number;
}

export interface TrainRequest {
  root: string;
  summary: Pick<DatasetSummary, 'layout' | 'byLabel'>;
  split: TrainingSplit;
  /** Backbone name ('mobilenetv2', 'resnet') or a backbone .onnx path; undefined = the method's default. */
  backbone?: string;
  imageSize?: number;
  seed: number;
  /** Method-specific overrides of its defaults (benchmarks, experiments). */
  params?: Record<string, unknown>;
  onProgress?: (e: TrainProgressEvent) => void;
}

export interface TrainedModel {
  onnx: Uint8Array;
  json: ModelJson;
}

export interface MethodDefinition {
  name: string;
  summary: string;
  learningType: 'one-class';
  defaultBackbone: string;
  train(req: TrainRequest): Promise<TrainedModel>;
}
