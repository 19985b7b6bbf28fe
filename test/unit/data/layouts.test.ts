import { describe, expect, it } from 'vitest';
import { detectLayout } from '../../../src/main/data/layouts/index.js';

const pick = (files: string[]) => {
  const layout = detectLayout(files);
  const { images, warnings } = layout.classify(files);
  return { layout: layout.name, images: Object.fromEntries(images.map((i) => [i.path, i])), n: images.length, warnings };
};

describe('layout detection and classification by path', () => {
  it('MVTec AD: splits, defect types from folders, masks from ground_truth', () => {
    const r = pick([
      'train/good/000.png',
      'test/good/000.png',
      'test/crack/000.png',
      'test/crack/001.png',
      'ground_truth/crack/000_mask.png',
      'ground_truth/crack/007_mask.png',
      'license.png',
    ]);
    expect(r.layout).toBe('mvtec');
    expect(r.n).toBe(4);
    expect(r.images['train/good/000.png']).toMatchObject({ split: 'train', label: 'good', maskPath: null });
    expect(r.images['test/crack/000.png']).toMatchObject({ split: 'test', label: 'crack', maskPath: 'ground_truth/crack/000_mask.png' });
    expect(r.images['test/crack/001.png'].maskPath).toBeNull();
    expect(r.warnings.join('\n')).toMatch(/1 image file\(s\) outside train/);
    expect(r.warnings.join('\n')).toMatch(/ground_truth\/crack\/007_mask\.png/);
  });

  it('KolektorSDD: labels come from the mask, no split', () => {
    const r = pick(['kos01/Part0.jpg', 'kos01/Part0_label.bmp', 'kos01/Part1.jpg', 'kos02/Part0.jpg', 'kos02/Part0_label.bmp']);
    expect(r.layout).toBe('ksdd');
    expect(r.n).toBe(3);
    expect(r.images['kos01/Part0.jpg']).toMatchObject({ split: 'unsplit', maskPath: 'kos01/Part0_label.bmp', labelFromMask: true });
    expect(r.images['kos01/Part1.jpg']).toMatchObject({ maskPath: null, labelFromMask: false, label: 'unlabeled' });
  });

  it('KolektorSDD2: train/test split, NNNNN_GT.png masks', () => {
    const r = pick(['train/10000.png', 'train/10000_GT.png', 'test/20000.png', 'test/20000_GT.png']);
    expect(r.layout).toBe('ksdd2');
    expect(r.images['train/10000.png']).toMatchObject({ split: 'train', maskPath: 'train/10000_GT.png', labelFromMask: true });
    expect(r.images['test/20000.png']).toMatchObject({ split: 'test', maskPath: 'test/20000_GT.png' });
  });

  it('magnetic tile: MT_Free is good, other classes keep their name, .png beside .jpg is the mask', () => {
    const r = pick(['MT_Free/Imgs/a.jpg', 'MT_Free/Imgs/a.png', 'MT_Blowhole/Imgs/b.jpg', 'MT_Blowhole/Imgs/b.png', 'MT_Crack/Imgs/c.jpg']);
    expect(r.layout).toBe('magnetic-tile');
    expect(r.n).toBe(3);
    expect(r.images['MT_Free/Imgs/a.jpg']).toMatchObject({ label: 'good', split: 'unsplit', maskPath: 'MT_Free/Imgs/a.png' });
    expect(r.images['MT_Blowhole/Imgs/b.jpg']).toMatchObject({ label: 'Blowhole', maskPath: 'MT_Blowhole/Imgs/b.png' });
    expect(r.images['MT_Crack/Imgs/c.jpg'].maskPath).toBeNull();
  });

  it('plain folders: label folders, synonyms of good, split folders, unlabeled images, masks beside or in mask folders', () => {
    const r = pick([
      'good/a.png',
      'OK/b.png',
      'defect/c.png',
      'defect/c_mask.png',
      'scratch/d.jpg',
      'loose.jpg',
      'val/good/e.png',
      'testing/dent/f.png',
      'masks/testing/dent/f.png',
      'images/val/g.jpg',
      'annotations/val/g.png',
    ]);
    expect(r.layout).toBe('folder');
    expect(r.n).toBe(8);
    expect(r.images['good/a.png']).toMatchObject({ split: 'unsplit', label: 'good' });
    expect(r.images['OK/b.png'].label).toBe('good');
    expect(r.images['defect/c.png']).toMatchObject({ label: 'defect', maskPath: 'defect/c_mask.png' });
    expect(r.images['scratch/d.jpg'].label).toBe('scratch');
    expect(r.images['loose.jpg'].label).toBe('unlabeled');
    expect(r.images['val/good/e.png']).toMatchObject({ split: 'val', label: 'good' });
    expect(r.images['testing/dent/f.png']).toMatchObject({ split: 'test', label: 'dent', maskPath: 'masks/testing/dent/f.png' });
    expect(r.images['images/val/g.jpg']).toMatchObject({ split: 'val', label: 'unlabeled', maskPath: 'annotations/val/g.png' });
  });

  it('a folder that only looks a little like MVTec (no test/) stays a plain folder', () => {
    expect(pick(['train/good/a.png', 'train/bad/b.png']).layout).toBe('folder');
  });
});
