import { StudioError } from '../../../shared/errors.js';

/**
 * A defect class painted into the class-index mask. Index 0 is always background and is not listed;
 * classes use ids 1..K in the order given. `color` is sRGB 0..255.
 */
export interface DefectClass {
  id: number;
  name: string;
  color: readonly [number, number, number];
}

/** The largest class id a Uint8Array mask can hold. */
export const MAX_CLASS_ID = 255;

/** Checks ids are 1..255, unique, names non-empty and unique, colours in range; returns a sorted copy. */
export function validateClasses(classes: readonly DefectClass[]): DefectClass[] {
  const ids = new Set<number>();
  const names = new Set<string>();
  for (const c of classes) {
    if (!Number.isInteger(c.id) || c.id < 1 || c.id > MAX_CLASS_ID) {
      throw new StudioError('BAD_REQUEST', `Defect class "${c.name}" has id ${c.id}; ids must be integers 1..${MAX_CLASS_ID} (0 is background).`);
    }
    if (ids.has(c.id)) throw new StudioError('BAD_REQUEST', `Defect class id ${c.id} is used twice; give each class its own id.`);
    const name = c.name.trim();
    if (!name) throw new StudioError('BAD_REQUEST', `Defect class ${c.id} has an empty name; name it (e.g. "scratch").`);
    if (names.has(name)) throw new StudioError('BAD_REQUEST', `Defect class name "${name}" is used twice; class names must be unique.`);
    if (c.color.length !== 3 || c.color.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) {
      throw new StudioError('BAD_REQUEST', `Defect class "${name}" has colour [${c.color.join(', ')}]; use three integers 0..255.`);
    }
    ids.add(c.id);
    names.add(name);
  }
  return classes.map((c) => ({ id: c.id, name: c.name.trim(), color: [c.color[0], c.color[1], c.color[2]] as const })).sort((a, b) => a.id - b.id);
}
