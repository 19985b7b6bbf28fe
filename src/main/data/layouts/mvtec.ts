/**
 * MVTec AD: train/good/*.png, test/<defect type>/*.png (test/good = defect-free test images) and
 * ground_truth/<defect type>/<name>_mask.png. MVTec LOCO's validation/good becomes split 'val'.
 */
import type { Split } from '../../../shared/dataset.js';
import { stem, type ClassifiedImage, type Layout } from './types.js';

const SPLITS: Record<string, Split> = { train: 'train', test: 'test', validation: 'val' };

export const mvtec: Layout = {
  name: 'mvtec',
  detect: (files) => files.some((f) => /^train\/good\/[^/]+$/.test(f)) && files.some((f) => /^test\/[^/]+\/[^/]+$/.test(f)),
  classify(files) {
    const masks = new Map<string, string>(); // "<type>/<stem>" -> mask path
    for (const f of files) {
      const m = /^ground_truth\/([^/]+)\/([^/]+)$/.exec(f);
      if (m) masks.set(`${m[1]}/${stem(m[2]).replace(/_mask$/i, '')}`, f);
    }
    const images: ClassifiedImage[] = [];
    let ignored = 0;
    const used = new Set<string>();
    for (const f of files) {
      if (f.startsWith('ground_truth/')) continue;
      const m = /^([^/]+)\/([^/]+)\/([^/]+)$/.exec(f);
      const split = m ? SPLITS[m[1]] : undefined;
      if (!m || !split) {
        ignored++;
        continue;
      }
      const label = m[2];
      const maskPath = label === 'good' ? null : (masks.get(`${label}/${stem(m[3])}`) ?? null);
      if (maskPath) used.add(maskPath);
      images.push({ path: f, split, label, maskPath });
    }
    const warnings: string[] = [];
    if (ignored) warnings.push(`${ignored} image file(s) outside train/<label>/, test/<label>/ and ground_truth/ were ignored.`);
    const orphans = [...masks.values()].filter((p) => !used.has(p));
    if (orphans.length) warnings.push(`${orphans.length} mask(s) under ground_truth/ have no matching test image, e.g. ${orphans[0]}.`);
    return { images, warnings };
  },
};
