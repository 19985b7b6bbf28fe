import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calls } from '../../../src/shared/api.js';
import { createStudioApp, type StudioApp } from '../../../src/main/router/app.js';
import { createRouter, type Handlers } from '../../../src/main/router/router.js';
import { EventBus } from '../../../src/main/router/events.js';

let workspace: string;
let app: StudioApp;

beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'ds-router-'));
  app = await createStudioApp({ mode: 'browser', workspace, version: '9.9.9' });
});
afterAll(async () => {
  await app.close();
  await rm(workspace, { recursive: true, force: true });
});

describe('router.dispatch', () => {
  it('answers app.info with contract-valid output', async () => {
    const r = await app.router.dispatch('app.info', {});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const info = calls['app.info'].output.parse(r.value);
    expect(info).toMatchObject({ version: '9.9.9', mode: 'browser', workspace: path.resolve(workspace), platform: process.platform });
    // The engine's real probe: CPU here unless CUDA (Linux) or DirectML (Windows) actually opens a session.
    expect(['cpu', 'cuda', 'dml']).toContain(info.executionProvider.name);
    for (const s of info.executionProvider.skipped) expect(s.reason.length).toBeGreaterThan(0);
    if (info.executionProvider.name === 'cpu' && process.platform === 'linux') {
      expect(info.executionProvider.skipped.map((s) => s.name)).toContain('cuda');
    }
  });

  it('treats a missing input as {} for calls without fields', async () => {
    expect((await app.router.dispatch('app.info', undefined)).ok).toBe(true);
  });

  it('returns NOT_FOUND for an unknown call, naming it', async () => {
    const r = await app.router.dispatch('datasets.delete_everything', {});
    expect(r).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    if (!r.ok) expect(r.error.message).toContain('datasets.delete_everything');
  });

  it('does not treat Object.prototype names as calls', async () => {
    for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      expect(await app.router.dispatch(name, {})).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    }
  });

  it.each([
    ['a number where a string belongs', 'datasets.open', { root: 42 }, 'root'],
    ['an empty root', 'datasets.open', { root: '' }, 'root'],
    ['a negative offset', 'datasets.images', { datasetId: 'x', offset: -1 }, 'offset'],
    ['a limit over the maximum', 'datasets.images', { datasetId: 'x', limit: 1e9 }, 'limit'],
    ['an unknown split', 'datasets.images', { datasetId: 'x', filter: { split: 'holdout' } }, 'filter.split'],
    ['a string instead of an object', 'datasets.rescan', 'oops', '(input)'],
    ['an array instead of an object', 'datasets.close', [1, 2], '(input)'],
    ['null', 'datasets.rescan', null, 'datasetId'],
  ])('returns a typed BAD_REQUEST for %s', async (_what, name, input, field) => {
    const r = await app.router.dispatch(name, input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('BAD_REQUEST');
    expect(r.error.message).toContain(name);
    expect(r.error.message).toContain(field);
  });
});

describe('createRouter error shaping', () => {
  const info = { version: '1', mode: 'browser' as const, platform: 'linux', workspace: '/w', executionProvider: { name: 'cpu', skipped: [] } };
  const base = (over: Partial<Handlers>): Handlers =>
    ({
      'app.info': () => info,
      'datasets.open': () => {
        throw new Error('disk exploded');
      },
      'datasets.list': () => [],
      'datasets.rescan': () => {
        throw Object.assign(new Error("ENOENT: no such file or directory, scandir '/gone'"), { code: 'ENOENT' });
      },
      'datasets.close': () => ({ ok: true as const }),
      'datasets.images': () => ({ total: 1, items: [{ path: 'a.png' }] }) as never,
      ...over,
    }) as Handlers;

  it('turns a thrown Error into INTERNAL with its message', async () => {
    const r = await createRouter(base({})).dispatch('datasets.open', { root: '/x' });
    expect(r).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'disk exploded' } });
  });

  it('maps ENOENT to NOT_FOUND', async () => {
    const r = await createRouter(base({})).dispatch('datasets.rescan', { datasetId: 'd' });
    expect(r).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('refuses handler output that breaks the contract', async () => {
    const r = await createRouter(base({})).dispatch('datasets.images', { datasetId: 'd' });
    expect(r).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    if (!r.ok) expect(r.error.message).toContain('datasets.images');
  });

  it('passes defaults from the input schema to the handler', async () => {
    let seen: unknown;
    const router = createRouter(
      base({
        'datasets.images': (input) => {
          seen = input;
          return { total: 0, items: [] };
        },
      }),
    );
    expect(await router.dispatch('datasets.images', { datasetId: 'd' })).toEqual({ ok: true, value: { total: 0, items: [] } });
    expect(seen).toEqual({ datasetId: 'd', filter: {}, offset: 0, limit: 1000 });
  });
});

describe('EventBus', () => {
  it('delivers contract events and refuses malformed payloads', () => {
    const bus = new EventBus();
    const got: unknown[] = [];
    bus.on('dataset.scanProgress', (p) => got.push(p));
    bus.emit('dataset.scanProgress', { root: '/d', scanned: 3, total: null });
    expect(got).toEqual([{ root: '/d', scanned: 3, total: null }]);
    expect(() => bus.emit('dataset.scanProgress', { root: '/d', scanned: 1.5, total: null })).toThrow(/dataset.scanProgress/);
  });

  it('keeps delivering when one subscriber throws', () => {
    const bus = new EventBus();
    const got: string[] = [];
    bus.subscribe(() => {
      throw new Error('closed socket');
    });
    bus.subscribe((e) => got.push(e));
    bus.emit('job.log', { jobId: 'j', level: 'info', message: 'hi', time: '2026-01-01T00:00:00Z' });
    expect(got).toEqual(['job.log']);
  });
});
