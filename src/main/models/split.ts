/**
 * Which images train, validate and test a one-class model, for any dataset layout:
 * - Layouts with a train split (MVTec AD: train/good): train = good images of the train split; val = the val split
 *   when there is one, else a seeded 10% (at most 50; 1 below 10 images) of the good training images, held out of the memory bank so
 *   their scores are honest; test = the test split.
 * - Layouts without a split (magnetic tile, plain folders): the good images are shuffled with the seed; the first
 *   50% are for training (with the same val hold-out), the rest plus every defective image are the test set.
 * 'unlabeled' images are never used: a one-class model must know which images are good.
 * The seed is stored in model.json, so `eval` rebuilds the same test set.
 */
import type { ImageRecord } from '../../shared/dataset.js';
import { StudioError } from '../../shared/errors.js';
import { mulberry32, shuffled } from './random.js';

export interface TrainingSplit {
  train: ImageRecord[];
  val: ImageRecord[];
  test: ImageRecord[];
  description: string;
}

function holdOut(good: ImageRecord[], rand: () => number): { train: ImageRecord[]; val: ImageRecord[] } {
  // Few images: hold out one (a threshold needs at least one honest score) unless that leaves nothing to train on.
  const nVal = good.length >= 10 ? Math.min(50, Math.round(good.length * 0.1)) : good.length >= 2 ? 1 : 0;
  const s = shuffled(good, rand);
  return { val: s.slice(0, nVal), train: s.slice(nVal) };
}

export function splitForTraining(images: ImageRecord[], seed: number, root = 'the dataset'): TrainingSplit {
  const rand = mulberry32(seed);
  const byPath = (a: ImageRecord, b: ImageRecord) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  const sorted = images.slice().sort(byPath); // independent of scan order
  const hasTrain = sorted.some((r) => r.split === 'train');
  let split: TrainingSplit;
  if (hasTrain) {
    const good = sorted.filter((r) => r.split === 'train' && r.label === 'good');
    const explicitVal = sorted.filter((r) => r.split === 'val' && r.label !== 'unlabeled');
    const { train, val } = explicitVal.length ? { train: good, val: explicitVal } : holdOut(good, rand);
    split = { train, val, test: sorted.filter((r) => r.split === 'test' && r.label !== 'unlabeled'), description: `layout splits; val ${explicitVal.length ? 'split' : `seeded 10% of train/good (seed ${seed})`}` };
  } else {
    const labelled = sorted.filter((r) => r.label !== 'unlabeled');
    const good = shuffled(labelled.filter((r) => r.label === 'good'), rand);
    const half = Math.ceil(good.length / 2);
    const { train, val } = holdOut(good.slice(0, half), rand);
    split = {
      train,
      val,
      test: [...good.slice(half), ...labelled.filter((r) => r.label !== 'good')].sort(byPath),
      description: `seeded 50% of good images for training (seed ${seed}), 10% of those held out for validation; rest + all defects = test`,
    };
  }
  if (split.train.length === 0) {
    const labels = [...new Set(images.map((r) => r.label))].join(', ') || 'none';
    throw new StudioError(
      'INVALID_STATE',
      images.length === 0
        ? `${root} contains no readable images; training needs good (defect-free) images, e.g. in train/good/.`
        : `${root} has no good training images (labels found: ${labels}); put defect-free images in train/good/ (or a good/ folder).`,
    );
  }
  return split;
}
