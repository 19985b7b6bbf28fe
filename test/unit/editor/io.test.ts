import { describe, expect, it } from 'vitest';
import { StudioError } from '../../../src/shared/errors.js';
import {
  buildPalette,
  classPixelCounts,
  exportBinaryMasks,
  fillOverlayRGBA,
  importBinaryMasks,
  importClassIndexMask,
  interpretMaskImage,
  rgbaToGray,
  validateClasses,
} from '../../../src/renderer/editor/index.js';
import { CLASSES, editorRows, makeEditor, rowsToMask } from './helpers.js';

describe('mask import / export', () => {
  it('exports one 0/255 mask per present class and imports them back', () => {
    const mask = rowsToMask(['1.2', '11.']);
    const bin = exportBinaryMasks(mask, CLASSES);
    expect([...bin.keys()]).toEqual([1, 2]);
    expect(Array.from(bin.get(1)!)).toEqual([255, 0, 0, 255, 255, 0]);
    expect(Array.from(bin.get(2)!)).toEqual([0, 0, 255, 0, 0, 0]);
    const back = importBinaryMasks([...bin].map(([classId, data]) => ({ classId, data })), 3, 2);
    expect(Array.from(back)).toEqual(Array.from(mask));
  });

  it('absent classes get no binary mask', () => {
    expect([...exportBinaryMasks(rowsToMask(['11']), CLASSES).keys()]).toEqual([1]);
  });

  it('counts pixels per class', () => {
    const counts = classPixelCounts(rowsToMask(['1.2', '11.']));
    expect([counts[0], counts[1], counts[2]]).toEqual([2, 3, 1]);
  });

  it('a mask of the wrong size is a BAD_REQUEST naming the file and both sizes', () => {
    const err = (() => {
      try {
        importClassIndexMask(new Uint8Array(10), 4, 4, CLASSES, 'ground_truth/scratch/000_mask.png');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(StudioError);
    expect((err as StudioError).code).toBe('BAD_REQUEST');
    expect((err as StudioError).message).toBe(
      "ground_truth/scratch/000_mask.png has 10 pixels but the image is 4 x 4 (16 pixels); use a mask of the image's size.",
    );
  });

  it('a mask with an unknown class index names the pixel and the index', () => {
    expect(() => importClassIndexMask(Uint8Array.from([0, 1, 7, 0]), 2, 2, CLASSES, 'm.png')).toThrow(
      'm.png holds class index 7 at pixel (0, 1), but no defect class has that id',
    );
  });

  it('the editor opens an existing mask and rejects a wrong-sized one without changing state', () => {
    const editor = makeEditor(3, 1, { mask: Uint8Array.from([1, 0, 2]) });
    expect(editorRows(editor)).toEqual(['1.2']);
    expect(() => editor.loadMask(new Uint8Array(4), 'x.png')).toThrow(/x.png has 4 pixels/);
    expect(editorRows(editor)).toEqual(['1.2']);
  });

  it('bad image sizes and classes are clear errors', () => {
    expect(() => makeEditor(0, 5)).toThrow('Image size 0 x 5 is not a positive integer size.');
    expect(() => makeEditor(20000, 5)).toThrow(/over the editor's limit of 16384/);
    expect(() => validateClasses([{ id: 0, name: 'bg', color: [0, 0, 0] }])).toThrow(/ids must be integers 1..255/);
    expect(() => validateClasses([...CLASSES, { id: 3, name: 'dent', color: [1, 2, 3] }])).toThrow('Defect class name "dent" is used twice; class names must be unique.');
    expect(() => makeEditor(4, 4).setCurrentClass(9)).toThrow('There is no defect class with id 9; known ids: 1, 2.');
  });

  it('luminance of RGBA is the Rec. 601 weighted sum', () => {
    expect(Array.from(rgbaToGray(Uint8Array.from([255, 0, 0, 255, 0, 255, 0, 255, 10, 10, 10, 0]), 3, 1))).toEqual([76, 150, 10]);
  });
});

describe('RGBA overlay', () => {
  it('colours a rect with class colours at the opacity and leaves background transparent', () => {
    const mask = rowsToMask(['1.2', '.1.']);
    const palette = buildPalette(CLASSES, 0.5);
    const out = fillOverlayRGBA(mask, 3, { x: 1, y: 0, w: 2, h: 2 }, palette);
    // rect pixels: (1,0)=0, (2,0)=2, (1,1)=1, (2,1)=0
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0, 255, 128, 255, 0, 0, 128, 0, 0, 0, 0]);
  });

  it('rejects a buffer too small for the rect', () => {
    expect(() => fillOverlayRGBA(new Uint8Array(4), 2, { x: 0, y: 0, w: 2, h: 2 }, buildPalette(CLASSES, 1), new Uint8ClampedArray(8))).toThrow(/needs 16/);
  });
});

describe('interpreting mask images drawn elsewhere', () => {
  const size = { width: 3, height: 1 };
  const interpret = (data: number[], channels: number, w = 3) =>
    Array.from(interpretMaskImage({ data: Uint8Array.from(data), width: w, height: 1, channels }, size, CLASSES, 2, 'gt/000_mask.png'));

  it('a 0/255 binary mask becomes the given class', () => {
    expect(interpret([0, 255, 255], 1)).toEqual([0, 2, 2]);
  });

  it('a class-index mask is kept, grey saved as RGB(A) too', () => {
    expect(interpret([1, 0, 2], 1)).toEqual([1, 0, 2]);
    expect(interpret([1, 1, 1, 255, 0, 0, 0, 255, 2, 2, 2, 255], 4)).toEqual([1, 0, 2]);
  });

  it('a colour mask maps exact class colours; black is background', () => {
    expect(interpret([255, 0, 0, 0, 0, 0, 0, 0, 255], 3)).toEqual([1, 0, 2]);
  });

  it('wrong size, unknown colours and unknown indices are errors naming the file', () => {
    expect(() => interpret([0, 0], 1, 2)).toThrow("gt/000_mask.png is 2 x 1 but its image is 3 x 1; a mask must have its image's size.");
    expect(() => interpret([255, 0, 0, 0, 255, 0, 0, 0, 0], 3)).toThrow(
      'gt/000_mask.png has colour rgb(0, 255, 0) at pixel (1, 0), which is neither black nor a class colour',
    );
    expect(() => interpret([0, 128, 255], 1)).toThrow('gt/000_mask.png holds class index 128 at pixel (1, 0)');
  });
});
