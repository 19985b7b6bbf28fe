/**
 * The renderer's browser-mode client against a real server: the same code path the page uses, with Node's fetch
 * and the `ws` WebSocket standing in for the browser's.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBrowserModeServer, type BrowserModeServer } from '../../../src/main/server/index.js';
import { browserClient, readToken, type StudioClient } from '../../../src/shared/client.js';
import { StudioError } from '../../../src/shared/errors.js';

let workspace: string;
let srv: BrowserModeServer;
let client: StudioClient;

beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'ds-client-'));
  srv = await startBrowserModeServer({ workspace, port: 0, rendererDir: null });
  client = browserClient({ origin: srv.origin, token: srv.token, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket });
});
afterAll(async () => {
  await srv.close();
  await rm(workspace, { recursive: true, force: true });
});

describe('browserClient', () => {
  it('invokes a call and gets the typed value', async () => {
    const info = await client.invoke('app.info', {});
    expect(info.mode).toBe('browser');
    expect(info.workspace).toBe(path.resolve(workspace));
  });

  it('rejects with a StudioError carrying the server code and message', async () => {
    const missing = path.join(workspace, 'no-such-folder');
    const err = await client.invoke('datasets.open', { root: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StudioError);
    expect((err as StudioError).code).toBe('NOT_FOUND');
    expect((err as StudioError).message).toContain(missing);
  });

  it('tryInvoke returns BAD_REQUEST as a value for input the schema refuses', async () => {
    const r = await client.tryInvoke('datasets.images', { datasetId: 'x', limit: 0 });
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it('a wrong token gets UNAUTHORIZED', async () => {
    const bad = browserClient({ origin: srv.origin, token: 'nope' });
    await expect(bad.invoke('app.info', {})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('a stopped server gives IO_ERROR naming the address, not an unhandled rejection', async () => {
    const gone = browserClient({ origin: 'http://127.0.0.1:1', token: srv.token });
    await expect(gone.invoke('app.info', {})).rejects.toMatchObject({ code: 'IO_ERROR', message: expect.stringContaining('127.0.0.1:1') });
  });

  it('receives events over the WebSocket until unsubscribed', async () => {
    const got: unknown[] = [];
    let resolveFirst!: () => void;
    const first = new Promise<void>((r) => (resolveFirst = r));
    const off = client.on('job.log', (p) => {
      got.push(p);
      resolveFirst();
    });
    const payload = { jobId: 'j1', level: 'info' as const, message: 'epoch 1', time: '2026-01-01T00:00:00Z' };
    // The socket connects asynchronously; emit until the first delivery arrives.
    const timer = setInterval(() => srv.app.events.emit('job.log', payload), 20);
    await first;
    clearInterval(timer);
    off();
    expect(got[0]).toEqual(payload);
  });

  it('builds asset URLs that the server answers', async () => {
    const file = path.join(workspace, 'map.png');
    await writeFile(file, await sharp({ create: { width: 2, height: 2, channels: 3, background: '#000' } }).png().toBuffer());
    const url = client.assetUrl({ kind: 'file', path: file });
    expect(url.startsWith(`${srv.origin}/asset?`)).toBe(true);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
  });
});

describe('readToken', () => {
  it('prefers ?token= and falls back to the meta tag the server injects', () => {
    const doc = { querySelector: (s: string) => (s.includes('studio-token') ? ({ getAttribute: () => 'from-meta' } as unknown as Element) : null) };
    expect(readToken({ search: '?token=abc&x=1' }, doc)).toBe('abc');
    expect(readToken({ search: '' }, doc)).toBe('from-meta');
    expect(readToken({ search: '' }, { querySelector: () => null })).toBeNull();
  });
});
