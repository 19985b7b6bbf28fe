/**
 * The method-independent part of a TrainRequest as the input of a method's own train function: the training and
 * validation images (validation falls back to the training images when the split holds none back, so a
 * threshold can still be chosen), seed, progress, cancel and checkpoint folder.
 */
import type { ImageRecord } from '../../shared/dataset.js';
import type { Backbone } from './backbones/types.js';
import type { TrainRequest } from './types.js';

export interface MethodTrainInput<P> extends Pick<TrainRequest, 'root' | 'seed' | 'onProgress' | 'signal' | 'workDir' | 'resume'> {
  train: ImageRecord[];
  val: ImageRecord[];
  backbone: Backbone;
  params: P;
}

export function methodTrainInput<P>(req: TrainRequest, backbone: Backbone, params: P): MethodTrainInput<P> {
  const { root, seed, onProgress, signal, workDir, resume } = req;
  return { root, train: req.split.train, val: req.split.val.length ? req.split.val : req.split.train, backbone, params, seed, onProgress, signal, workDir, resume };
}
