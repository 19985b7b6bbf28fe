/**
 * ReviewStore's preloading of the top of the list: once a run is complete, the highest-scoring rows are decoded
 * ahead, one at a time, once per run. The store runs in Node here with a fake client; `preload` is observed by a
 * subclass (fetching and decoding are the browser's, covered by test/e2e/review.spec.ts and bench/review.ts).
 */
import { describe, expect, it } from 'vitest';
import type { StudioClient } from '../../../src/shared/client.js';
import type { ReviewResult, ReviewRun } from '../../../src/shared/contract/review.js';
import { ReviewStore, TOP_PRELOAD } from '../../../src/renderer/review/ReviewStore.js';

const run: ReviewRun = {
  runId: 'r1', modelDir: '/m', modelName: 'm', method: 'patchcore', datasetId: 'd', datasetRoot: '/d', datasetName: 'd',
  split: 'test', threshold: 1, mapMaxValue: 4, createdAt: '2026-12-05T00:00:00Z', status: 'done', done: 7, total: 7, error: null,
};

function result(path: string, score: number | null): ReviewResult {
  return {
    path, split: 'test', label: 'good', width: 8, height: 8, score,
    mapFile: score === null ? null : `/w/maps/${path}`, previewFile: null, viewFile: null, error: score === null ? 'broken' : null, decision: null,
  } as ReviewResult;
}

class Watched extends ReviewStore {
  readonly order: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  override preload(r: ReviewResult): Promise<void> {
    this.order.push(r.path);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((resolve) => setTimeout(() => (this.inFlight--, resolve()), 5));
  }
}

type Handler = (e: unknown) => void;

function fakeClient(results: ReviewResult[], status: ReviewRun['status'] = 'done', handlers = new Map<string, Handler>()): StudioClient {
  return {
    mode: 'browser',
    invoke: (async (name: string) => {
      if (name === 'review.results') return { run: { ...run, status }, results };
      throw new Error(`unexpected call ${name}`);
    }) as StudioClient['invoke'],
    tryInvoke: (() => Promise.reject(new Error('unused'))) as StudioClient['tryInvoke'],
    on: ((name: string, h: Handler) => (handlers.set(name, h), () => handlers.delete(name))) as unknown as StudioClient['on'],
    assetUrl: (ref) => `/asset/${'path' in ref ? ref.path : ''}`,
  };
}

const settle = () => new Promise((r) => setTimeout(r, 600));

describe('ReviewStore top-of-list preload', () => {
  const results = [result('low.png', 0.1), result('top.png', 3), result('broken.png', null), result('b.png', 2), result('c.png', 1.5), result('d.png', 1.2), result('e.png', 1)];

  it('decodes the highest-scoring rows with a map, one at a time, once per run', async () => {
    const store = new Watched(fakeClient(results));
    await store.open('r1');
    await settle();
    expect(store.order).toEqual(['top.png', 'b.png', 'c.png', 'd.png'].slice(0, TOP_PRELOAD));
    expect(store.maxInFlight).toBe(1);
  });

  it('is not started again by a later event of the same run, and is again after reopening (the caches were cleared)', async () => {
    const handlers = new Map<string, Handler>();
    const store = new Watched(fakeClient(results, 'done', handlers));
    await store.refresh(); // subscribes; the pickers' calls fail in this fake and refresh reports that as an error
    await store.open('r1');
    await settle();
    expect(store.order).toHaveLength(TOP_PRELOAD);
    handlers.get('review.progress')!({ runId: 'r1', status: 'done', done: results.length, total: results.length, error: null });
    handlers.get('review.result')!({ runId: 'r1', result: result('late.png', 0.05) });
    await settle();
    expect(store.order).toHaveLength(TOP_PRELOAD);
    await store.open('r1');
    await settle();
    expect(store.order).toEqual([...store.order.slice(0, TOP_PRELOAD), ...store.order.slice(0, TOP_PRELOAD)]);
  });

  it('waits while the run is still going', async () => {
    const store = new Watched(fakeClient(results, 'running'));
    await store.open('r1');
    await settle();
    expect(store.order).toEqual([]);
  });
});
