/**
 * Pixel AP / F1 of a fine-tuned model and of its base model on the same held-out images (test split minus the
 * labelled ones): the number that says whether labelling a few defects was worth it.
 */
import type { ImageRecord } from '../../../shared/dataset.js';
import { evaluateModel } from '../evaluate.js';
import { AnomalyModel } from '../inference.js';

export interface HeldOutMetrics {
  images: number;
  imagesWithMask: number;
  pixel_ap: number | null;
  pixel_f1: number | null;
  pixel_auroc: number | null;
  pro: number | null;
  image_auroc: number;
  image_ap: number;
}

const r4 = (x: number | undefined) => (x === undefined ? null : Math.round(x * 10000) / 10000);

/** An evenly spaced subset of at most `max` images (good and defective interleave in path order). */
export function evenSubset<T>(items: T[], max: number): T[] {
  if (!(max < items.length)) return items;
  const step = items.length / max;
  return Array.from({ length: max }, (_, i) => items[Math.floor(i * step)]);
}

export async function evaluateHeldOut(modelDir: string, root: string, images: ImageRecord[], onProgress?: (done: number, total: number) => void): Promise<HeldOutMetrics> {
  const model = await AnomalyModel.load(modelDir);
  try {
    const { metrics: m } = await evaluateModel(model, root, images, onProgress);
    return {
      images: m.images,
      imagesWithMask: m.imagesWithMask,
      pixel_ap: r4(m.pixel?.ap),
      pixel_f1: r4(m.pixel?.f1),
      pixel_auroc: r4(m.pixel?.auroc),
      pro: r4(m.pro),
      image_auroc: r4(m.image.auroc)!,
      image_ap: r4(m.image.ap)!,
    };
  } finally {
    await model.release();
  }
}
