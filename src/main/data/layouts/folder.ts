/**
 * Plain folders, the fallback layout. Optional split folder first (train/, val/, test/ and common spellings),
 * then a label folder: good/ok/normal => 'good', any other name (defect/, crack/) => that name; images with
 * no label folder => 'unlabeled'. Generic container names (images/, imgs/, data/) are not labels and are skipped
 * before looking for a split (images/train/x.jpg is split train).
 * A file named <stem>_mask.*, <stem>_gt.* or <stem>_label.* beside an image <stem>.* is that image's mask; so is
 * a file in a mask folder (masks/, ground_truth/, gt/, annotations/) at the image's path with that folder
 * removed (masks/defect/x.png or masks/defect/x_mask.png for defect/x.jpg). Files in mask folders are never
 * listed as images.
 */
import type { Split } from '../../../shared/dataset.js';
import { byDirStem, dirOf, stem, type ClassifiedImage, type Layout } from './types.js';

const SPLITS: Record<string, Split> = {
  train: 'train',
  training: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  test: 'test',
  testing: 'test',
};
const GOOD = new Set(['good', 'ok', 'normal', 'defect-free', 'defect_free', 'nondefective', 'non-defective']);
const GENERIC = new Set(['images', 'image', 'imgs', 'img', 'data', 'pictures', 'photos']);
const MASK_SUFFIX = /^(.*)_(mask|gt|label)$/i;
const MASK_DIRS = new Set(['masks', 'mask', 'ground_truth', 'groundtruth', 'gt', 'annotations', 'labels']);

export function normalizeLabel(folder: string): string {
  const lower = folder.toLowerCase();
  if (GOOD.has(lower)) return 'good';
  if (GENERIC.has(lower)) return 'unlabeled';
  return folder;
}

export const folder: Layout = {
  name: 'folder',
  detect: () => true,
  classify(files) {
    const index = byDirStem(files);
    const masks = new Map<string, string>(); // image path -> mask path
    const maskFiles = new Set<string>();
    let orphanMasks = 0;
    for (const f of files) {
      const parts = f.split('/');
      const maskDir = parts.slice(0, -1).findIndex((p) => MASK_DIRS.has(p.toLowerCase()));
      const m = MASK_SUFFIX.exec(stem(f));
      const imageStem = m ? m[1] : stem(f);
      // The image tree is the mask tree without the mask folder, or with it renamed to a generic folder
      // (NEU-Seg: annotations/test/x.png for images/test/x.jpg).
      const dirs = maskDir < 0 ? [dirOf(f)] : [undefined, ...GENERIC].map((g) => parts.slice(0, -1).flatMap((p, i) => (i !== maskDir ? [p] : g ? [g] : [])).join('/'));
      const image = dirs.map((d) => index.get(`${d}/${imageStem}`.toLowerCase())).find((x) => x !== undefined);
      if ((m || maskDir >= 0) && image && image !== f) {
        masks.set(image, f);
        maskFiles.add(f);
      } else if (maskDir >= 0) {
        maskFiles.add(f);
        orphanMasks++;
      }
    }
    const images: ClassifiedImage[] = [];
    for (const f of files) {
      if (maskFiles.has(f)) continue;
      let parts = f.split('/');
      while (parts.length > 1 && GENERIC.has(parts[0].toLowerCase())) parts = parts.slice(1);
      let split: Split = 'unsplit';
      let rest = parts;
      const s = SPLITS[parts[0].toLowerCase()];
      if (s && parts.length > 1) {
        split = s;
        rest = parts.slice(1);
      }
      const label = rest.length >= 2 ? normalizeLabel(rest[0]) : 'unlabeled';
      images.push({ path: f, split, label, maskPath: masks.get(f) ?? null });
    }
    const warnings = orphanMasks
      ? [`${orphanMasks} file(s) in mask folders match no image (expected the image at the same path without the mask folder).`]
      : [];
    return { images, warnings };
  },
};
