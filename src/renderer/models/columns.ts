/**
 * The Models table's columns and ordering, as plain functions (no React): what each column shows, how rows sort,
 * and which model is best per metric in the comparison (higher is better except latency).
 */
import type { MetricKey, ModelListEntry, ModelRow } from '../../shared/contract/models.js';

export type SortKey = 'id' | 'method' | 'backbone' | 'data' | 'createdAt' | 'threshold' | MetricKey;
export interface Sort {
  key: SortKey;
  dir: 'asc' | 'desc';
}

export interface MetricColumn {
  key: MetricKey;
  label: string;
  /** Table header (the table has many columns); the comparison uses `label`. */
  short: string;
  /** Only in the comparison, to keep the table narrow. */
  compareOnly?: boolean;
  /** Latency: lower is better. */
  lowerIsBetter?: boolean;
  digits: number;
}

export const METRIC_COLUMNS: MetricColumn[] = [
  { key: 'image_auroc', label: 'Image AUROC', short: 'Img AUROC', digits: 3 },
  { key: 'image_ap', label: 'Image AP', short: 'Img AP', digits: 3 },
  { key: 'image_f1', label: 'Image F1', short: 'Img F1', digits: 3, compareOnly: true },
  { key: 'pixel_auroc', label: 'Pixel AUROC', short: 'Px AUROC', digits: 3 },
  { key: 'pixel_ap', label: 'Pixel AP', short: 'Px AP', digits: 3 },
  { key: 'pro', label: 'PRO', short: 'PRO', digits: 3 },
  { key: 'ms_per_image', label: 'ms / image', short: 'ms/img', lowerIsBetter: true, digits: 1 },
];

/** Last path segment of the training data root: what an engineer calls the dataset. */
export function dataName(row: ModelRow): string {
  const parts = row.training.root.split(/[\\/]+/).filter(Boolean);
  return parts[parts.length - 1] ?? row.training.root;
}

export function metricOf(row: ModelRow, key: MetricKey): number | null {
  return row.metrics?.values[key] ?? null;
}

function sortValue(row: ModelRow, key: SortKey): string | number | null {
  switch (key) {
    case 'id':
    case 'method':
    case 'backbone':
    case 'createdAt':
      return row[key];
    case 'data':
      return dataName(row);
    case 'threshold':
      return row.threshold;
    default:
      return metricOf(row, key);
  }
}

/**
 * Sorted copy: usable models by `sort` (missing metrics last in either direction, ties by id), broken folders
 * after them by id, so an error never hides among good rows.
 */
export function sortModels(rows: readonly ModelListEntry[], sort: Sort): ModelListEntry[] {
  const ok = rows.filter((r): r is ModelRow => r.status === 'ok');
  const broken = rows.filter((r) => r.status === 'error').sort((a, b) => a.id.localeCompare(b.id));
  const sign = sort.dir === 'asc' ? 1 : -1;
  ok.sort((a, b) => {
    const va = sortValue(a, sort.key);
    const vb = sortValue(b, sort.key);
    if (va === null || vb === null) return va === vb ? a.id.localeCompare(b.id) : va === null ? 1 : -1;
    const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
    return c !== 0 ? sign * c : a.id.localeCompare(b.id);
  });
  return [...ok, ...broken];
}

/** Clicking the current column flips it; a new column starts with the useful direction (best metric first). */
export function nextSort(current: Sort, key: SortKey): Sort {
  if (current.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  const metric = METRIC_COLUMNS.find((m) => m.key === key);
  if (metric) return { key, dir: metric.lowerIsBetter ? 'asc' : 'desc' };
  return { key, dir: key === 'createdAt' ? 'desc' : 'asc' };
}

export const TABLE_METRICS = METRIC_COLUMNS.filter((c) => !c.compareOnly);

/** Ids of the best model per metric among `rows` (several on a tie; none when all are equal or none has it). */
export function bestIds(rows: readonly ModelRow[], column: MetricColumn): Set<string> {
  const values = rows.map((r) => [r.id, metricOf(r, column.key)] as const).filter((e): e is readonly [string, number] => e[1] !== null);
  if (values.length === 0 || values.every((v) => v[1] === values[0][1])) return new Set();
  const best = column.lowerIsBetter ? Math.min(...values.map((v) => v[1])) : Math.max(...values.map((v) => v[1]));
  return new Set(values.filter((v) => v[1] === best).map((v) => v[0]));
}

export function formatMetric(v: number | null, digits: number): string {
  return v === null ? '—' : v.toFixed(digits);
}
