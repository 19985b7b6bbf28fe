import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBrowserModeServer, type BrowserModeServer } from '../../../src/main/server/index.js';

let dir: string;
let workspace: string;
let outside: string;
let srv: BrowserModeServer;

/** Raw request so the Host header and cookies are exactly what the test says. */
function raw(
  pathname: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: srv.port, path: pathname, method: opts.method ?? 'GET', headers: opts.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const api = (name: string, body: unknown, token: string | null = srv.token) =>
  raw(`/api/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { 'x-studio-token': token } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const json = (b: Buffer) => JSON.parse(b.toString('utf8'));
const asset = (query: string, token: string | null = srv.token) => raw(`/asset?${query}${token ? `&token=${token}` : ''}`);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ds-server-'));
  workspace = path.join(dir, 'workspace');
  outside = path.join(dir, 'outside');
  const renderer = path.join(dir, 'renderer');
  await mkdir(path.join(renderer, 'assets'), { recursive: true });
  await mkdir(workspace, { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(path.join(renderer, 'index.html'), '<!doctype html><html><head><title>t</title></head><body><script type="module" src="/assets/app.js"></script></body></html>');
  await writeFile(path.join(renderer, 'assets', 'app.js'), 'console.log("app")');
  const png = await sharp({ create: { width: 4, height: 3, channels: 3, background: { r: 200, g: 10, b: 10 } } }).png().toBuffer();
  await writeFile(path.join(workspace, 'heat.png'), png);
  await writeFile(path.join(workspace, 'notes.txt'), 'not an image');
  await writeFile(path.join(outside, 'secret.png'), png);
  await symlink(path.join(outside, 'secret.png'), path.join(workspace, 'link.png'));
  // A tiny MVTec-layout dataset: one good train image, one defect with its mask, and a symlink escaping the root.
  const ds = path.join(dir, 'bottle');
  const img = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: { r: 90, g: 90, b: 90 } } }).png().toBuffer();
  await mkdir(path.join(ds, 'train', 'good'), { recursive: true });
  await mkdir(path.join(ds, 'test', 'crack'), { recursive: true });
  await mkdir(path.join(ds, 'ground_truth', 'crack'), { recursive: true });
  await writeFile(path.join(ds, 'train', 'good', '000.png'), await img(600, 400));
  await writeFile(path.join(ds, 'test', 'crack', '000.png'), await img(600, 400));
  await writeFile(path.join(ds, 'ground_truth', 'crack', '000_mask.png'), await img(600, 400));
  await symlink(path.join(outside, 'secret.png'), path.join(ds, 'train', 'good', 'escape.png'));
  srv = await startBrowserModeServer({ workspace, port: 0, rendererDir: renderer });
});

afterAll(async () => {
  await srv?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('binding and URL', () => {
  it('listens on 127.0.0.1 only and prints a URL with the token', () => {
    expect(srv.url).toBe(`http://127.0.0.1:${srv.port}/?token=${srv.token}`);
    expect(srv.token).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses connections on a non-loopback address', async (ctx) => {
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!external) return ctx.skip();
    const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
      const s = net.connect({ host: external.address, port: srv.port });
      s.on('connect', () => {
        s.destroy();
        resolve(null);
      });
      s.on('error', resolve);
    });
    expect(err?.code).toBe('ECONNREFUSED');
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const r = await raw(`/api/app.info`, { method: 'POST', headers: { host: `evil.example:${srv.port}`, 'x-studio-token': srv.token } });
    expect(r.status).toBe(403);
  });
});

describe('token on every request', () => {
  it.each(['/', '/index.html', '/assets/app.js', '/some/client/route', '/asset?kind=file&path=/x.png'])('GET %s without token is 401', async (p) => {
    const r = await raw(p);
    expect(r.status).toBe(401);
    expect(r.body.toString()).not.toContain('console.log');
  });

  it('API call without token or with a wrong one is 401 UNAUTHORIZED', async () => {
    for (const t of [null, 'wrong', srv.token.slice(0, -1) + (srv.token.endsWith('0') ? '1' : '0')]) {
      const r = await api('app.info', {}, t);
      expect(r.status).toBe(401);
      expect(json(r.body)).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    }
  });

  it('serves index.html with the token injected and sets a per-port HttpOnly cookie', async () => {
    const r = await raw(`/?token=${srv.token}`);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toContain(`<meta name="studio-token" content="${srv.token}">`);
    expect(String(r.headers['set-cookie'])).toMatch(new RegExp(`studio_token_${srv.port}=${srv.token}; HttpOnly; SameSite=Strict`));
    expect(String(r.headers['content-security-policy'])).toContain("default-src 'self'");
    expect(String(r.headers['content-security-policy'])).toContain("script-src 'self'");
  });

  it('accepts the cookie for scripts but not for API calls', async () => {
    const cookie = `studio_token_${srv.port}=${srv.token}`;
    const js = await raw('/assets/app.js', { headers: { cookie } });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toContain('javascript');
    const call = await raw('/api/app.info', { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' });
    expect(call.status).toBe(401);
  });

  it('does not serve files outside the renderer through ../', async () => {
    const r = await raw(`/assets/../../workspace/heat.png?token=${srv.token}`);
    expect(r.status).not.toBe(200);
    const enc = await raw(`/%2e%2e/%2e%2e/workspace/heat.png?token=${srv.token}`);
    expect(enc.body.subarray(0, 4).toString('latin1')).not.toBe('\x89PNG');
  });
});

describe('API over HTTP', () => {
  it('answers a valid call', async () => {
    const r = await api('app.info', {});
    expect(r.status).toBe(200);
    expect(json(r.body)).toMatchObject({ ok: true, value: { mode: 'browser', version: expect.any(String) } });
  });

  it('wrong schema is a typed 400 BAD_REQUEST and the server keeps running', async () => {
    const r = await api('datasets.images', { datasetId: 7, limit: -3 });
    expect(r.status).toBe(400);
    const body = json(r.body);
    expect(body).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(body.error.message).toMatch(/datasetId/);
    expect((await api('app.info', {})).status).toBe(200);
  });

  it('malformed JSON is BAD_REQUEST, not a crash', async () => {
    const r = await api('datasets.open', '{"root": ');
    expect(r.status).toBe(400);
    expect(json(r.body).error.code).toBe('BAD_REQUEST');
  });

  it('a malformed percent-encoding in the call name is BAD_REQUEST, not a 500', async () => {
    const r = await api('app.%E0%A4%A', {});
    expect(r.status).toBe(400);
    expect(json(r.body).error.code).toBe('BAD_REQUEST');
  });

  it('unknown call is 404 NOT_FOUND', async () => {
    const r = await api('nope.nothing', {});
    expect(r.status).toBe(404);
    expect(json(r.body)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('GET on an API call is refused', async () => {
    const r = await raw('/api/app.info', { headers: { 'x-studio-token': srv.token } });
    expect(r.status).toBe(400);
  });

  it('cross-origin API call is refused even with the token', async () => {
    const r = await raw('/api/app.info', {
      method: 'POST',
      headers: { 'x-studio-token': srv.token, origin: 'https://evil.example', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(r.status).toBe(403);
  });
});

describe('asset endpoint', () => {
  it('serves an image inside the workspace', async () => {
    const r = await asset(`kind=file&path=${encodeURIComponent(path.join(workspace, 'heat.png'))}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('image/png');
    expect((await sharp(r.body).metadata()).width).toBe(4);
  });

  it('refuses a path outside the allowed roots with 403', async () => {
    for (const p of [path.join(outside, 'secret.png'), path.join(workspace, '..', 'outside', 'secret.png'), '/etc/passwd']) {
      const r = await asset(`kind=file&path=${encodeURIComponent(p)}`);
      expect(r.status, p).toBe(403);
      expect(json(r.body).error.code).toBe('FORBIDDEN_PATH');
    }
  });

  it('refuses a symlink inside the workspace that points outside', async () => {
    const r = await asset(`kind=file&path=${encodeURIComponent(path.join(workspace, 'link.png'))}`);
    expect(r.status).toBe(403);
  });

  it('refuses non-image files even inside the workspace', async () => {
    const r = await asset(`kind=file&path=${encodeURIComponent(path.join(workspace, 'notes.txt'))}`);
    expect(r.status).toBe(415);
  });

  it('answers a malformed asset query with 400 and an unknown dataset with 404', async () => {
    expect((await asset('kind=video&path=a')).status).toBe(400);
    expect((await asset('kind=image&dataset=nope&path=a.png')).status).toBe(404);
  });
});

describe('dataset assets', () => {
  let id: string;
  beforeAll(async () => {
    const r = await api('datasets.open', { root: path.join(dir, 'bottle') });
    expect(r.status).toBe(200);
    id = json(r.body).value.id;
  });

  it('serves an image, its mask and a thumbnail of the requested size', async () => {
    const image = await asset(`kind=image&dataset=${id}&path=${encodeURIComponent('test/crack/000.png')}`);
    expect(image.status).toBe(200);
    expect((await sharp(image.body).metadata()).width).toBe(600);
    const mask = await asset(`kind=mask&dataset=${id}&path=${encodeURIComponent('ground_truth/crack/000_mask.png')}`);
    expect(mask.status).toBe(200);
    for (const [size, longest] of [[100, 128], [256, 256]] as const) {
      const thumb = await asset(`kind=thumbnail&dataset=${id}&path=${encodeURIComponent('train/good/000.png')}&size=${size}`);
      expect(thumb.status).toBe(200);
      expect(thumb.headers['content-type']).toBe('image/jpeg');
      const meta = await sharp(thumb.body).metadata();
      expect(Math.max(meta.width!, meta.height!)).toBe(longest);
    }
  });

  it('refuses dataset paths that escape the root, by .. or by symlink', async () => {
    for (const p of ['../outside/secret.png', '../../etc/passwd', 'train/good/escape.png', path.join(outside, 'secret.png')]) {
      for (const kind of ['image', 'mask', 'thumbnail']) {
        const r = await asset(`kind=${kind}&dataset=${id}&path=${encodeURIComponent(p)}`);
        expect(r.status, `${kind} ${p}`).toBe(403);
      }
    }
  });

  it('lets an opened dataset root serve file assets', async () => {
    const r = await asset(`kind=file&path=${encodeURIComponent(path.join(dir, 'bottle', 'train', 'good', '000.png'))}`);
    expect(r.status).toBe(200);
  });
});

describe('close()', () => {
  it('waits for thumbnails still being written, so the workspace can be deleted right after', async () => {
    const ws = await mkdtemp(path.join(os.tmpdir(), 'ds-server-close-'));
    const ds = path.join(ws, 'data', 'good');
    await mkdir(ds, { recursive: true });
    // Large noisy images make thumbnail generation take long enough to still run when close() is called.
    const noisy = Buffer.alloc(2000 * 2000);
    for (let i = 0; i < noisy.length; i++) noisy[i] = (i * 2654435761) >>> 24;
    for (let i = 0; i < 4; i++) {
      await sharp(noisy, { raw: { width: 2000, height: 2000, channels: 1 } }).png({ compressionLevel: 1 }).toFile(path.join(ds, `${i}.png`));
    }
    const s2 = await startBrowserModeServer({ workspace: ws, port: 0, rendererDir: null });
    const opened = await fetch(`${s2.origin}/api/datasets.open`, {
      method: 'POST',
      headers: { 'x-studio-token': s2.token, 'content-type': 'application/json' },
      body: JSON.stringify({ root: path.join(ws, 'data') }),
    }).then((r) => r.json());
    const requests = [0, 1, 2, 3].map((i) =>
      fetch(`${s2.origin}/asset?kind=thumbnail&dataset=${opened.value.id}&path=good/${i}.png&size=512&token=${s2.token}`).catch(() => null),
    );
    await new Promise((r) => setTimeout(r, 30));
    await s2.close();
    const thumbs = path.join(ws, 'cache', 'thumbs');
    const count = async () => (await readdir(thumbs, { recursive: true }).catch(() => [])).length;
    const after = await count();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await count()).toBe(after);
    await Promise.all(requests);
    await rm(ws, { recursive: true });
  });
});

describe('port conflicts', () => {
  it('names the busy port and the fix instead of crashing', async () => {
    await expect(startBrowserModeServer({ workspace, port: srv.port, rendererDir: null })).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringContaining(`Port ${srv.port}`),
    });
  });
});

describe('events WebSocket', () => {
  const connect = (query: string) =>
    new Promise<{ ws: WebSocket | null; status: number | null }>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/events${query}`);
      ws.on('open', () => resolve({ ws, status: null }));
      ws.on('unexpected-response', (_req, res) => resolve({ ws: null, status: res.statusCode ?? null }));
      ws.on('error', () => resolve({ ws: null, status: -1 }));
    });

  it('refuses a socket without the token', async () => {
    expect((await connect('')).status).toBe(401);
    expect((await connect('?token=bad')).status).toBe(401);
  });

  it('delivers events to a socket with the token', async () => {
    const { ws } = await connect(`?token=${srv.token}`);
    expect(ws).not.toBeNull();
    const got = new Promise<unknown>((resolve) => ws!.once('message', (m) => resolve(JSON.parse(String(m)))));
    srv.app.events.emit('dataset.scanProgress', { root: '/d', scanned: 5, total: 10 });
    expect(await got).toEqual({ event: 'dataset.scanProgress', payload: { root: '/d', scanned: 5, total: 10 } });
    ws!.close();
  });
});
