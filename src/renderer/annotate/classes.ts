/** Default defect classes and the colours new classes get; merging class lists from Dexie, disk and saved masks. */
import type { AnnotationClass } from '../../shared/contract/annotations.js';

/** Distinct, saturated colours that read on grey industrial images; new classes take the next unused one. */
export const CLASS_COLOURS: readonly (readonly [number, number, number])[] = [
  [255, 64, 80],
  [64, 160, 255],
  [255, 200, 40],
  [80, 220, 120],
  [200, 90, 255],
  [255, 140, 40],
  [40, 220, 220],
  [255, 110, 200],
  [170, 200, 60],
];

export const DEFAULT_CLASSES: readonly AnnotationClass[] = [{ id: 1, name: 'defect', color: [255, 64, 80] }];

/** Union by id; earlier lists win on conflicts (the list the user last edited comes first). */
export function mergeClasses(...lists: readonly (readonly AnnotationClass[] | null | undefined)[]): AnnotationClass[] {
  const byId = new Map<number, AnnotationClass>();
  const names = new Set<string>();
  for (const list of lists) {
    for (const c of list ?? []) {
      if (byId.has(c.id) || names.has(c.name)) continue;
      byId.set(c.id, { id: c.id, name: c.name, color: [c.color[0], c.color[1], c.color[2]] });
      names.add(c.name);
    }
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** A new class with the smallest free id and the first unused colour; null when all 255 ids are taken. */
export function newClass(existing: readonly AnnotationClass[], name: string): AnnotationClass | null {
  const ids = new Set(existing.map((c) => c.id));
  let id = 1;
  while (ids.has(id) && id <= 255) id++;
  if (id > 255) return null;
  const used = new Set(existing.map((c) => c.color.join(',')));
  const color = CLASS_COLOURS.find((c) => !used.has(c.join(','))) ?? CLASS_COLOURS[id % CLASS_COLOURS.length];
  return { id, name, color: [color[0], color[1], color[2]] };
}

/** The list with class `id` renamed, or a sentence saying why not (empty name, name taken, unknown id). */
export function renameClass(list: readonly AnnotationClass[], id: number, name: string): AnnotationClass[] | string {
  const trimmed = name.trim();
  if (!trimmed) return 'A class needs a name.';
  if (!list.some((c) => c.id === id)) return `There is no class ${id} to rename.`;
  if (list.some((c) => c.id !== id && c.name === trimmed)) return `A class named "${trimmed}" already exists.`;
  return list.map((c) => (c.id === id ? { ...c, name: trimmed } : c));
}

/**
 * The list without class `id`, or a sentence saying why not. Deleting never rewrites a mask, so a class still
 * painted is refused: `paintedHere` is the open mask's pixel count of it, `unsaved` the masks still only in the
 * browser database (edited, not yet on disk, so the main process cannot see them); the main process checks saved
 * masks.
 */
export function deleteClass(
  list: readonly AnnotationClass[],
  id: number,
  paintedHere: number,
  unsaved: readonly { imagePath: string; pixels: number }[] = [],
): AnnotationClass[] | string {
  const c = list.find((x) => x.id === id);
  if (!c) return `There is no class ${id} to delete.`;
  if (list.length === 1) return `"${c.name}" is the only class; add another before deleting it.`;
  if (paintedHere > 0) return `Cannot delete "${c.name}": ${paintedHere} pixels of this image are painted with it. Erase them (or repaint them with another class) first.`;
  const painting = unsaved.filter((u) => u.pixels > 0);
  if (painting.length > 0) {
    const names = painting.slice(0, 3).map((u) => u.imagePath).join(', ') + (painting.length > 3 ? ` and ${painting.length - 3} more` : '');
    return `Cannot delete "${c.name}": unsaved edits of ${names} paint it (they are not on disk yet). Erase (or repaint) those pixels there first.`;
  }
  return list.filter((x) => x.id !== id);
}

/** Pixels of `mask` with class index `id`. */
export function countClassPixels(mask: Uint8Array, id: number): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === id) n++;
  return n;
}

export function cssColour(c: readonly [number, number, number]): string {
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}
