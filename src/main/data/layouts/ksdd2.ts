/**
 * KolektorSDD2: train/NNNNN.png and test/NNNNN.png with NNNNN_GT.png beside each. Image-level labels exist
 * only as mask content: an image is 'defect' when its GT has any non-zero pixel, else 'good'.
 */
import type { Split } from '../../../shared/dataset.js';
import { byDirStem, dirOf, stem, type ClassifiedImage, type Layout } from './types.js';

const IMAGE = /^(train|test)\/(\d+)\.png$/i;

export const ksdd2: Layout = {
  name: 'ksdd2',
  detect: (files) => files.some((f) => IMAGE.test(f)) && files.some((f) => /^(train|test)\/\d+_GT\.png$/i.test(f)),
  classify(files) {
    const index = byDirStem(files);
    const images: ClassifiedImage[] = [];
    let ignored = 0;
    for (const f of files) {
      if (/_GT$/i.test(stem(f))) continue;
      const m = IMAGE.exec(f);
      if (!m) {
        ignored++;
        continue;
      }
      const maskPath = index.get(`${dirOf(f)}/${stem(f)}_gt`) ?? null;
      images.push({ path: f, split: m[1].toLowerCase() as Split, label: 'unlabeled', maskPath, labelFromMask: maskPath !== null });
    }
    return { images, warnings: ignored ? [`${ignored} image file(s) not named train|test/NNNNN.png were ignored.`] : [] };
  },
};
