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

export function cssColour(c: readonly [number, number, number]): string {
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}
