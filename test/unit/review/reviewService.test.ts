/**
 * Review runs through the real router (createStudioApp): a PatchCore model trained by the CLI on generated blob
 * defects, a real dataset, real ONNX Runtime, real files under the workspace.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, cpSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/index.js';
import { createStudioApp, type StudioApp } from '../../../src/main/router/app.js';
import { readMapPng } from '../../../src/main/models/mapPng.js';
import type { CallName, CallOutput } from '../../../src/shared/api.js';
import { makeBlobDataset } from '../models/synthetic.js';

let tmp: string;
let app: StudioApp;
let data: string;
let datasetId: string;
let modelDir: string;

async function call<N extends CallName>(name: N, input: unknown): Promise<CallOutput<N>> {
  const r = await app.router.dispatch(name, input);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value as CallOutput<N>;
}

async function callError(name: CallName, input: unknown): Promise<{ code: string; message: string }> {
  const r = await app.router.dispatch(name, input);
  if (r.ok) throw new Error(`${name} succeeded but should have failed`);
  return r.error;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ds-review-'));
  data = path.join(tmp, 'blobs');
  await makeBlobDataset(data, { size: 64, trainGood: 10, testGood: 6, testDefect: 6 });
  const workspace = path.join(tmp, 'ws');
  modelDir = path.join(workspace, 'models', 'blobs-patchcore');
  const err: string[] = [];
  const code = await main(['train', '--method', 'patchcore', '--data', data, '--out', modelDir, '--image-size', '64', '--seed', '3'], {
    out: () => undefined,
    err: (l: string) => err.push(l),
  });
  expect(code, err.join('\n')).toBe(0);
  app = await createStudioApp({ mode: 'browser', workspace, version: 'test', executionProvider: async () => ({ name: 'cpu', skipped: [] }) });
  datasetId = (await call('datasets.open', { root: data })).id;
}, 120_000);

afterAll(async () => {
  await app?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('review service', () => {
  it('lists model folders, and a corrupt one with the reason', async () => {
    const bad = path.join(app.workspace, 'models', 'broken');
    mkdirSync(bad, { recursive: true });
    writeFileSync(path.join(bad, 'model.json'), '{ not json');
    writeFileSync(path.join(bad, 'model.onnx'), 'x');
    const models = await call('review.models', {});
    const good = models.find((m) => m.name === 'blobs-patchcore')!;
    expect(good.error).toBeNull();
    expect(good.method).toBe('patchcore');
    const broken = models.find((m) => m.name === 'broken')!;
    expect(broken.error).toMatch(/model\.json is not valid JSON.*corrupt/);
    // Running the corrupt folder is a clear error, not a crash.
    const e = await callError('review.run', { modelDir: bad, datasetId });
    expect(e.code).toBe('UNREADABLE');
    expect(e.message).toMatch(/broken.*model\.json/);
  });

  it('runs a model over the test split, streams results and progress, persists scores and 16-bit maps; a second run is cached', async () => {
    const results: string[] = [];
    const progress: { status: string; done: number }[] = [];
    const off1 = app.events.on('review.result', (e) => results.push(e.result.path));
    const off2 = app.events.on('review.progress', (e) => progress.push({ status: e.status, done: e.done }));
    const started = await call('review.run', { modelDir, datasetId, split: 'test' });
    expect(started.cached).toBe(false);
    expect(started.run.total).toBe(12);
    await expect.poll(async () => (await call('review.results', { runId: started.runId })).run.status, { timeout: 60_000 }).toBe('done');
    off1();
    off2();
    expect(results).toHaveLength(12);
    expect(progress.at(-1)).toEqual({ status: 'done', done: 12 });
    const { run, results: rows } = await call('review.results', { runId: started.runId });
    expect(rows).toHaveLength(12);
    expect(rows.every((r) => r.score !== null && r.error === null && r.mapFile!.startsWith(app.workspace))).toBe(true);
    expect(rows.every((r) => r.previewFile === null)).toBe(true); // 64 px maps are drawn as they are
    // The JPEG view the screen shows first: under the run folder, never enlarged past the image.
    expect(rows.every((r) => r.viewFile !== null && r.viewFile.startsWith(path.join(app.workspace, 'results', started.runId, 'view')))).toBe(true);
    const view = await sharp(rows[0].viewFile!).metadata();
    expect([view.format, view.width, view.height]).toEqual(['jpeg', 64, 64]);
    // Blob images score above good ones on average: the results are the model's, not placeholders.
    const mean = (l: string) => rows.filter((r) => r.label === l).reduce((a, r) => a + r.score!, 0) / 6;
    expect(mean('blob')).toBeGreaterThan(mean('good'));
    const map = await readMapPng(rows[0].mapFile!, run.mapMaxValue);
    expect(map.depth).toBe('ushort');
    expect([map.width, map.height]).toEqual([64, 64]);
    const info = await call('review.mapInfo', { runId: run.runId, path: rows[0].path });
    expect(info.threshold).toBe(run.threshold);
    // Same model + dataset + split: cached, instant, same id.
    const t0 = performance.now();
    const again = await call('review.run', { modelDir, datasetId, split: 'test' });
    expect(again).toMatchObject({ runId: started.runId, cached: true });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect((await call('review.runs', {})).map((r) => r.runId)).toContain(started.runId);
  }, 90_000);

  it('stores decisions (accept / reject / relabel / clear) across an app restart', async () => {
    const [run] = await call('review.runs', {});
    const { results } = await call('review.results', { runId: run.runId });
    const [a, b, c] = results.map((r) => r.path);
    await Promise.all([
      call('review.decide', { runId: run.runId, path: a, decision: 'accept' }),
      call('review.decide', { runId: run.runId, path: b, decision: 'reject' }),
      call('review.decide', { runId: run.runId, path: c, decision: 'relabel', label: 'good' }),
    ]);
    expect((await callError('review.decide', { runId: run.runId, path: a, decision: 'relabel' })).message).toMatch(/needs the new label/);
    await app.close();
    app = await createStudioApp({ mode: 'browser', workspace: app.workspace, version: 'test', executionProvider: async () => ({ name: 'cpu', skipped: [] }) });
    const after = (await call('review.results', { runId: run.runId })).results;
    const d = (p: string) => after.find((r) => r.path === p)!.decision;
    expect(d(a)?.kind).toBe('accept');
    expect(d(b)?.kind).toBe('reject');
    expect(d(c)).toMatchObject({ kind: 'relabel', label: 'good' });
    await call('review.decide', { runId: run.runId, path: a, decision: null });
    expect((await call('review.results', { runId: run.runId })).results.find((r) => r.path === a)!.decision).toBeNull();
  });

  it('a deleted image becomes a result with a clear error; cancel stops a run; unknown ids are NOT_FOUND', async () => {
    const copy = path.join(tmp, 'copy');
    cpSync(data, copy, { recursive: true });
    const id = (await call('datasets.open', { root: copy })).id;
    rmSync(path.join(copy, 'test/good/000.png'));
    const started = await call('review.run', { modelDir, datasetId: id, split: 'test' });
    await expect.poll(async () => (await call('review.results', { runId: started.runId })).run.status, { timeout: 60_000 }).toBe('done');
    const rows = (await call('review.results', { runId: started.runId })).results;
    const gone = rows.find((r) => r.path === 'test/good/000.png')!;
    expect(gone.score).toBeNull();
    expect(gone.error).toMatch(/deleted or moved.*rescan/);
    expect(rows.filter((r) => r.error === null)).toHaveLength(11);
    expect((await callError('review.mapInfo', { runId: started.runId, path: gone.path })).message).toMatch(/no anomaly map/);

    const all = await call('review.run', { modelDir, datasetId: id, split: null });
    await call('review.cancel', { runId: all.runId });
    const cancelled = (await call('review.results', { runId: all.runId })).run;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.done).toBeLessThan(cancelled.total);
    expect(existsSync(path.join(app.workspace, 'results', all.runId, 'run.json'))).toBe(true);
    expect((await callError('review.results', { runId: 'deadbeefdeadbeef' })).code).toBe('NOT_FOUND');
    expect((await callError('review.results', { runId: '../../etc' })).code).toBe('BAD_REQUEST');
  }, 90_000);
});
