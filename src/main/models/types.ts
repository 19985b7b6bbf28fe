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
  /** Trained methods: the loop's report (engine/runtime/loop.ts LoopProgress) for this step. */
  losses?: Record<string, number>;
  epoch?: number;
  imagesPerSecond?: number | null;
  etaSeconds?: number | null;
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
  /** Cancels a trained method: it checkpoints (when workDir is set) and throws StudioError 'CANCELLED'. */
  signal?: AbortSignal;
  /** Folder for this training's checkpoints (checkpoint.onnx) and state; enables resume. */
  workDir?: string;
  /** Continue from workDir's checkpoint when one exists (same data, settings and seed give the same result). */
  resume?: boolean;
}

export interface TrainedModel {
  onnx: Uint8Array;
  json: ModelJson;
}

export interface MethodDefinition {
  name: string;
  summary: string;
  learningType: 'one-class' | 'supervised';
  defaultBackbone: string;
  train(req: TrainRequest): Promise<TrainedModel>;
}
