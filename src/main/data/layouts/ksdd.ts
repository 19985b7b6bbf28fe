/**
 * KolektorSDD (v1): kosNN/PartN.jpg with its label PartN_label.bmp beside it. The dataset has no split and no
 * label in its paths: an image is 'defect' when its label mask has any non-zero pixel, else 'good'.
 */
import { byDirStem, dirOf, stem, type ClassifiedImage, type Layout } from './types.js';

const IMAGE = /^kos\d+\/Part\d+\.(jpe?g|png|bmp)$/i;
const MASK = /_label$/i;

export const ksdd: Layout = {
  name: 'ksdd',
  detect: (files) => files.some((f) => IMAGE.test(f)) && files.some((f) => /^kos\d+\/Part\d+_label\.[a-z]+$/i.test(f)),
  classify(files) {
    const index = byDirStem(files);
    const images: ClassifiedImage[] = [];
    let ignored = 0;
    for (const f of files) {
      if (MASK.test(stem(f))) continue;
      if (!IMAGE.test(f)) {
        ignored++;
        continue;
      }
      const maskPath = index.get(`${dirOf(f)}/${stem(f)}_label`.toLowerCase()) ?? null;
      images.push({ path: f, split: 'unsplit', label: 'unlabeled', maskPath, labelFromMask: maskPath !== null });
    }
    return { images, warnings: ignored ? [`${ignored} image file(s) not named kosNN/PartN.* were ignored.`] : [] };
  },
};
