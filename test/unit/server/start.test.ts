/**
 * `npm start` and `serve` as a user runs them: real child processes, real ports, real HTTP. No display and no
 * Electron binary here, so start must fall back to browser mode and say why.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
let workspace: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'ds-start-'));
});
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }
  }
});
afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

function launch(args: string[], env: Record<string, string | undefined>) {
  const fullEnv: Record<string, string | undefined> = { ...process.env, DEFECT_STUDIO_WORKSPACE: workspace, DEFECT_STUDIO_NO_BUILD: '1', ...env };
  for (const k of Object.keys(fullEnv)) if (fullEnv[k] === undefined) delete fullEnv[k];
  const child = spawn(process.execPath, args, { cwd: root, env: fullEnv as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const urlLine = new Promise<{ url: string; stdout: string }>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /Defect Studio browser mode: (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(stdout);
      if (m) {
        clearInterval(timer);
        resolve({ url: m[1], stdout });
      }
    }, 50);
    child.on('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`exited with ${code} before printing the URL.\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
  return { child, urlLine };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function checkTokenRequired(url: string) {
  const u = new URL(url);
  const token = u.searchParams.get('token')!;
  const call = (headers: Record<string, string>) =>
    fetch(`${u.origin}/api/app.info`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
  expect((await call({})).status).toBe(401);
  const ok = await call({ 'x-studio-token': token });
  expect(ok.status).toBe(200);
  expect(((await ok.json()) as { value: { mode: string } }).value.mode).toBe('browser');
}

describe('npm start without a display', () => {
  // Windows and macOS always have a display, so this path exists only on Linux.
  it.skipIf(process.platform !== 'linux')('starts browser mode, says why Electron was not used, and requires the token', async () => {
    const { urlLine } = launch([path.join(root, 'scripts', 'start.mjs')], { DISPLAY: undefined, WAYLAND_DISPLAY: undefined, PORT: '0' });
    const { url, stdout } = await urlLine;
    const lines = stdout.trim().split('\n');
    const why = lines.findIndex((l) => l.startsWith('Electron was not used because'));
    expect(why, stdout).toBeGreaterThanOrEqual(0);
    expect(lines[why]).toContain('no display');
    expect(lines.findIndex((l) => l.includes(url))).toBeGreaterThan(why);
    await checkTokenRequired(url);
  });
});

describe('npm start with a display but no Electron binary', () => {
  it('tries the download, and when it fails starts browser mode naming the failure', async (ctx) => {
    const { existsSync } = await import('node:fs');
    if (existsSync(path.join(root, 'node_modules', 'electron', 'path.txt'))) return ctx.skip(); // binary present: Electron would start
    // An unreachable mirror and an empty download cache make the failure fast and the same on every machine.
    const cache = await mkdtemp(path.join(os.tmpdir(), 'ds-electron-cache-'));
    const { urlLine } = launch([path.join(root, 'scripts', 'start.mjs')], {
      DISPLAY: ':99',
      PORT: '0',
      ELECTRON_MIRROR: 'http://127.0.0.1:1/',
      electron_config_cache: cache,
      ELECTRON_INSTALL_TIMEOUT_S: '30',
    });
    const { url, stdout } = await urlLine;
    expect(stdout).toMatch(/Electron was not used because the Electron binary is missing and its download (failed|did not finish)/);
    await checkTokenRequired(url);
    await rm(cache, { recursive: true, force: true });
  });
});

describe('serve --port N', () => {
  it('prints one line with http://127.0.0.1:N/ and the token, and serves there', async () => {
    const port = await freePort();
    const { child, urlLine } = launch([path.join(root, 'bin', 'defect-studio.js'), 'serve', '--port', String(port)], {});
    const { url, stdout } = await urlLine;
    expect(url.startsWith(`http://127.0.0.1:${port}/?token=`)).toBe(true);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    await checkTokenRequired(url);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('exits with code 2 and a sentence for a port that is taken', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as net.AddressInfo).port;
    const child = spawn(process.execPath, [path.join(root, 'bin', 'defect-studio.js'), 'serve', '--port', String(port)], {
      cwd: root,
      env: { ...process.env, DEFECT_STUDIO_WORKSPACE: workspace, DEFECT_STUDIO_NO_BUILD: '1' },
    });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    busy.close();
    expect(code).toBe(2);
    expect(stderr).toContain(`Port ${port}`);
  });
});
