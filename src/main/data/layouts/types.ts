/**
 * A layout module answers two questions about a list of image files (relative paths, forward slashes):
 * is this my layout (`detect`), and which split, label and mask does each image have (`classify`).
 * Both are pure functions of the path list, so they are tested without touching the disk.
 */
import type { DatasetLayout, Split } from '../../../shared/dataset.js';

export interface ClassifiedImage {
  path: string;
  split: Split;
  /** 'good', 'unlabeled' or a defect type; ignored when labelFromMask is set and a mask exists. */
  label: string;
  maskPath: string | null;
  /** The layout has no label in its paths: the scan decodes the mask (any non-zero pixel => 'defect'). */
  labelFromMask?: boolean;
}

export interface LayoutResult {
  images: ClassifiedImage[];
  warnings: string[];
}

export interface Layout {
  name: DatasetLayout;
  detect(files: readonly string[]): boolean;
  classify(files: readonly string[]): LayoutResult;
}

export function stem(file: string): string {
  const base = file.slice(file.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

export function dirOf(file: string): string {
  const i = file.lastIndexOf('/');
  return i < 0 ? '' : file.slice(0, i);
}

/** Index of files by "<dir>/<stem>" (lower-case), for finding a mask next to its image in O(1). */
export function byDirStem(files: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const f of files) m.set(`${dirOf(f)}/${stem(f)}`.toLowerCase(), f);
  return m;
}

export function ignoredWarning(count: number, where: string): string[] {
  return count ? [`${count} image file(s) ${where} were ignored.`] : [];
}
