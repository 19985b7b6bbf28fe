/** Layouts in detection order: the most specific first, plain folders last (it accepts anything). */
import type { DatasetLayout } from '../../../shared/dataset.js';
import { folder } from './folder.js';
import { ksdd } from './ksdd.js';
import { ksdd2 } from './ksdd2.js';
import { magneticTile } from './magneticTile.js';
import { mvtec } from './mvtec.js';
import type { Layout } from './types.js';

export const LAYOUTS: readonly Layout[] = [magneticTile, mvtec, ksdd2, ksdd, folder];

export function detectLayout(files: readonly string[]): Layout {
  return LAYOUTS.find((l) => l.detect(files)) ?? folder;
}

export function layoutByName(name: DatasetLayout): Layout {
  const l = LAYOUTS.find((x) => x.name === name);
  if (!l) throw new Error(`no layout module named ${name}`);
  return l;
}

export type { ClassifiedImage, Layout, LayoutResult } from './types.js';
