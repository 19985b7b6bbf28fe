/** The Models table's ordering and comparison helpers (pure functions behind the screen). */
import { describe, expect, it } from 'vitest';
import type { ModelListEntry, ModelRow } from '../../../src/shared/contract/models.js';
import { bestIds, METRIC_COLUMNS, nextSort, sortModels } from '../../../src/renderer/models/columns.js';

function row(id: string, auroc: number | null, ms: number | null, createdAt = '2026-01-01T00:00:00Z'): ModelRow {
  return {
    id,
    dir: `/ws/models/${id}`,
    status: 'ok',
    method: 'patchcore',
    backbone: 'mobilenetv2-imagenet',
    createdAt,
    training: { root: `/data/${id}-set`, trainImages: 10, valImages: 2, split: 's', seconds: 1 },
    input: { fit: 'short-side', size: 256 },
    threshold: 1,
    bytes: 1,
    metrics: auroc === null && ms === null ? null : { data: '/data', evaluatedAt: null, values: { image_auroc: auroc, ms_per_image: ms } },
  };
}
const broken: ModelListEntry = { id: 'aaa-broken', dir: '/ws/models/aaa-broken', status: 'error', error: 'bad' };
const rows: ModelListEntry[] = [broken, row('b', 0.9, 20), row('a', 0.7, 10, '2026-02-01T00:00:00Z'), row('c', null, null), row('d', 0.9, 30)];
const ids = (r: ModelListEntry[]) => r.map((x) => x.id);

describe('sortModels', () => {
  it('orders by a metric both ways, missing metrics and broken folders last, ties by id', () => {
    expect(ids(sortModels(rows, { key: 'image_auroc', dir: 'desc' }))).toEqual(['b', 'd', 'a', 'c', 'aaa-broken']);
    expect(ids(sortModels(rows, { key: 'image_auroc', dir: 'asc' }))).toEqual(['a', 'b', 'd', 'c', 'aaa-broken']);
    expect(ids(sortModels(rows, { key: 'createdAt', dir: 'desc' }))).toEqual(['a', 'b', 'c', 'd', 'aaa-broken']);
    expect(ids(sortModels(rows, { key: 'data', dir: 'desc' }))).toEqual(['d', 'c', 'b', 'a', 'aaa-broken']);
    expect(ids(rows)[0]).toBe('aaa-broken'); // a copy: the input is left alone
  });

  it('nextSort flips the current column and starts a metric with its best direction', () => {
    expect(nextSort({ key: 'id', dir: 'asc' }, 'id')).toEqual({ key: 'id', dir: 'desc' });
    expect(nextSort({ key: 'id', dir: 'asc' }, 'image_auroc')).toEqual({ key: 'image_auroc', dir: 'desc' });
    expect(nextSort({ key: 'id', dir: 'asc' }, 'ms_per_image')).toEqual({ key: 'ms_per_image', dir: 'asc' });
  });
});

describe('bestIds', () => {
  const col = (k: string) => METRIC_COLUMNS.find((c) => c.key === k)!;
  const ok = rows.filter((r): r is ModelRow => r.status === 'ok');
  it('marks the highest AUROC (ties included) and the lowest latency; nothing when all equal or missing', () => {
    expect([...bestIds(ok, col('image_auroc'))].sort()).toEqual(['b', 'd']);
    expect([...bestIds(ok, col('ms_per_image'))]).toEqual(['a']);
    expect(bestIds([row('x', 0.5, 1), row('y', 0.5, 1)], col('image_auroc')).size).toBe(0);
    expect(bestIds([row('x', null, null)], col('pro')).size).toBe(0);
  });
});
