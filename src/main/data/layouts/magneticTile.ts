/**
 * Magnetic tile (Huang et al.): MT_<Class>/Imgs/<name>.jpg with the pixel mask beside it as <name>.png.
 * MT_Free is defect-free ('good'); every other class is a defect type named without the MT_ prefix.
 * There is no official split ('unsplit').
 */
import { byDirStem, dirOf, stem, type ClassifiedImage, type Layout } from './types.js';

const IMAGE = /^MT_([^/]+)\/Imgs\/[^/]+\.jpe?g$/i;

export const magneticTile: Layout = {
  name: 'magnetic-tile',
  detect: (files) => files.some((f) => IMAGE.test(f)),
  classify(files) {
    const pngs = byDirStem(files.filter((f) => /\.png$/i.test(f)));
    const images: ClassifiedImage[] = [];
    const used = new Set<string>();
    let ignored = 0;
    for (const f of files) {
      const m = IMAGE.exec(f);
      if (!m) continue;
      const maskPath = pngs.get(`${dirOf(f)}/${stem(f)}`.toLowerCase()) ?? null;
      if (maskPath) used.add(maskPath);
      images.push({ path: f, split: 'unsplit', label: m[1].toLowerCase() === 'free' ? 'good' : m[1], maskPath });
    }
    for (const f of files) if (!IMAGE.test(f) && !used.has(f)) ignored++;
    return {
      images,
      warnings: ignored ? [`${ignored} image file(s) that are neither MT_<Class>/Imgs/*.jpg nor their .png masks were ignored.`] : [],
    };
  },
};
