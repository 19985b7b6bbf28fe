/** Class-list merging and naming used by the Annotate screen and the export's file names. */
import { describe, expect, it } from 'vitest';
import { classFolderName, mvtecStems } from '../../../src/main/annotations/exportMasks.js';
import { CLASS_COLOURS, DEFAULT_CLASSES, mergeClasses, newClass } from '../../../src/renderer/annotate/classes.js';

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
