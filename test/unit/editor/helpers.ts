import { expect } from 'vitest';
import { AnnotateEditor, type AnnotateEditorOptions } from '../../../src/renderer/editor/index.js';
import type { DefectClass } from '../../../src/renderer/editor/index.js';
import { Rng } from '../../../src/main/engine/rng.js';

export const CLASSES: DefectClass[] = [
  { id: 1, name: 'scratch', color: [255, 0, 0] },
  { id: 2, name: 'dent', color: [0, 0, 255] },
];

/** An editor with an identity view (screen pixel = image pixel), so tests can use image coordinates directly. */
export function makeEditor(width: number, height: number, options: Partial<AnnotateEditorOptions> = {}): AnnotateEditor {
  return new AnnotateEditor({ width, height, classes: CLASSES, ...options });
}

export function expectPathToBe(editor: AnnotateEditor, path: string): void {
  expect(editor.getPath()).toBe(path);
}

/** The mask as rows of characters: '.' background, digits class ids. */
export function maskRows(mask: Uint8Array, width: number, height: number): string[] {
  const rows: string[] = [];
  for (let y = 0; y < height; y++) {
    let s = '';
    for (let x = 0; x < width; x++) {
      const v = mask[y * width + x];
      s += v === 0 ? '.' : String(v);
    }
    rows.push(s);
  }
  return rows;
}

export function editorRows(editor: AnnotateEditor): string[] {
  return maskRows(editor.getMask(), editor.getWidth(), editor.getHeight());
}

/** Parses rows written as in maskRows back into a mask. */
export function rowsToMask(rows: string[]): Uint8Array {
  const w = rows[0].length;
  const m = new Uint8Array(w * rows.length);
  rows.forEach((r, y) => {
    for (let x = 0; x < w; x++) m[y * w + x] = r[x] === '.' ? 0 : Number(r[x]);
  });
  return m;
}

export function countValue(mask: Uint8Array, value: number): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === value) n++;
  return n;
}

/** Deterministic PRNG (the engine's mulberry32), so failing cases can be replayed from the printed seed. */
export function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

/** Press, move through `points`, release: one stroke in screen coordinates. */
export function stroke(editor: AnnotateEditor, points: [number, number][], mods: { shiftKey?: boolean } = {}): void {
  const [first, ...rest] = points;
  editor.pointerDown(first[0], first[1], mods);
  for (const [x, y] of rest) editor.pointerMove(x, y);
  const last = points[points.length - 1];
  editor.pointerUp(last[0], last[1]);
}
