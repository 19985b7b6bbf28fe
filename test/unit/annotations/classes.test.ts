/** Class-list merging and naming used by the Annotate screen and the export's file names. */
import { describe, expect, it } from 'vitest';
import { classFolderName, mvtecStems } from '../../../src/main/annotations/exportMasks.js';
import { CLASS_COLOURS, countClassPixels, DEFAULT_CLASSES, deleteClass, mergeClasses, newClass, renameClass } from '../../../src/renderer/annotate/classes.js';
import type { AnnotationClass } from '../../../src/shared/contract/annotations.js';

describe('annotation classes', () => {
  it('merges lists by id, earlier lists winning, and skips a second class with a taken name', () => {
    const merged = mergeClasses(
      [{ id: 2, name: 'scratch', color: [1, 2, 3] }],
      [
        { id: 2, name: 'other', color: [9, 9, 9] },
        { id: 3, name: 'scratch', color: [4, 5, 6] },
      ],
      DEFAULT_CLASSES,
    );
    expect(merged).toEqual([DEFAULT_CLASSES[0], { id: 2, name: 'scratch', color: [1, 2, 3] }]);
  });

  it('gives a new class the smallest free id and an unused colour, and refuses a 256th class', () => {
    const c = newClass([{ id: 1, name: 'a', color: [...CLASS_COLOURS[0]] as [number, number, number] }, { id: 3, name: 'b', color: [0, 0, 0] }], 'c');
    expect(c).toEqual({ id: 2, name: 'c', color: [...CLASS_COLOURS[1]] });
    const full = Array.from({ length: 255 }, (_, i) => ({ id: i + 1, name: `c${i}`, color: [0, 0, 0] as [number, number, number] }));
    expect(newClass(full, 'x')).toBeNull();
  });
});

describe('renaming and deleting classes', () => {
  const list: AnnotationClass[] = [
    { id: 1, name: 'crack', color: [1, 1, 1] },
    { id: 4, name: 'dent', color: [2, 2, 2] },
  ];

  it('renames by id, trimming, and refuses an empty, taken or unknown name', () => {
    expect(renameClass(list, 4, '  scratch ')).toEqual([list[0], { id: 4, name: 'scratch', color: [2, 2, 2] }]);
    expect(renameClass(list, 4, 'dent')).toEqual(list); // its own name is not "taken"
    expect(renameClass(list, 4, 'crack')).toBe('A class named "crack" already exists.');
    expect(renameClass(list, 4, '   ')).toBe('A class needs a name.');
    expect(renameClass(list, 9, 'x')).toMatch(/no class 9/);
  });

  it('deletes an unpainted class and refuses a painted one, the last one and an unknown id', () => {
    expect(deleteClass(list, 4, 0)).toEqual([list[0]]);
    expect(deleteClass(list, 4, 12)).toMatch(/Cannot delete "dent": 12 pixels/);
    expect(deleteClass([list[0]], 1, 0)).toMatch(/only class/);
    expect(deleteClass(list, 7, 0)).toMatch(/no class 7/);
  });

  it('refuses a class that unsaved masks of other images still paint, naming them', () => {
    const unsaved = [
      { imagePath: 'a.png', pixels: 0 },
      { imagePath: 'b.png', pixels: 5 },
      { imagePath: 'c.png', pixels: 1 },
    ];
    expect(deleteClass(list, 4, 0, unsaved)).toBe('Cannot delete "dent": unsaved edits of b.png, c.png paint it (they are not on disk yet). Erase (or repaint) those pixels there first.');
    const many = Array.from({ length: 5 }, (_, i) => ({ imagePath: `i${i}.png`, pixels: 1 }));
    expect(deleteClass(list, 4, 0, many)).toMatch(/i0.png, i1.png, i2.png and 2 more paint it/);
    expect(deleteClass(list, 4, 0, [{ imagePath: 'a.png', pixels: 0 }])).toEqual([list[0]]);
  });

  it('counts the pixels of one class in a mask', () => {
    expect(countClassPixels(new Uint8Array([0, 4, 4, 1, 4]), 4)).toBe(3);
    expect(countClassPixels(new Uint8Array([0, 1]), 4)).toBe(0);
  });
});

describe('export names', () => {
  it('uses the file name unless two images share it, then the whole path', () => {
    const stems = mvtecStems(['test/a/000.png', 'test/b/000.png', 'test/a/001.jpg']);
    expect([...stems.values()]).toEqual(['test_a_000', 'test_b_000', '001']);
  });

  it('makes class names safe as folder names', () => {
    expect(classFolderName('deep/scratch')).toBe('deep_scratch');
    expect(classFolderName('..')).toBe('_');
    expect(classFolderName('  ')).toBe('class');
  });
});
