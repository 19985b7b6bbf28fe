#!/usr/bin/env node
// `npm start`: the Electron app when its binary and a display exist, otherwise browser mode on 127.0.0.1 with
// one sentence saying why Electron was not used. Plain Node (no bash), so it runs the same on Windows.
//
// Environment: PORT (browser-mode port), DEFECT_STUDIO_BROWSER=1 (always browser mode),
// DEFECT_STUDIO_WORKSPACE (workspace folder), ELECTRON_INSTALL_TIMEOUT_S (download time box, default 120).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const electronDir = path.join(root, 'node_modules', 'electron');

/** Absolute path of the Electron executable, or null when its binary was never downloaded. */
function electronBinary() {
  const pathTxt = path.join(electronDir, 'path.txt');
  if (!existsSync(pathTxt)) return null;
  const exe = path.join(electronDir, 'dist', readFileSync(pathTxt, 'utf8').trim());
  return existsSync(exe) ? exe : null;
}

/** null when a window can be shown, else the reason it cannot. */
function noDisplayReason() {
  if (process.platform === 'win32' || process.platform === 'darwin') return null;
  if (process.env.DISPLAY || process.env.WAYLAND_DISPLAY) return null;
  return 'no display was found ($DISPLAY and $WAYLAND_DISPLAY are unset)';
}

/**
 * Runs a child; resolves with its exit code (null on timeout) and, with `capture`, its stderr (so a failed
 * download can be summed up in one line instead of a stack trace).
 */
function run(args, { timeoutMs, env, capture = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: capture ? ['ignore', 'ignore', 'pipe'] : 'inherit',
      shell: false,
      env: env ?? process.env,
    });
    let stderr = '';
    if (capture) child.stderr.on('data', (d) => (stderr += d.toString()));
    let timer = null;
    if (timeoutMs) {
      timer = setTimeout(() => {
        child.kill();
        resolve({ code: null, stderr });
      }, timeoutMs);
    }
    child.on('error', (e) => resolve({ code: null, stderr: e.message }));
    child.on('exit', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

async function tryDownloadElectron() {
  const installer = path.join(electronDir, 'install.js');
  if (!existsSync(installer)) return 'the electron package is not installed (run `npm ci`)';
  const seconds = Number(process.env.ELECTRON_INSTALL_TIMEOUT_S ?? 120);
  console.error(`Electron's binary is not downloaded yet; trying to fetch it (up to ${seconds} s)…`);
  const { code, stderr } = await run([installer], { timeoutMs: seconds * 1000, capture: true });
  if (electronBinary()) return null;
  const firstError = stderr.split('\n').map((l) => l.trim()).find((l) => l.length > 0);
  return code === null
    ? `the Electron binary is missing and its download did not finish within ${seconds} s`
    : `the Electron binary is missing and its download failed (${firstError ?? `installer exit code ${code}`})`;
}

/** Forwards Ctrl+C / termination to the child so the server or app shuts down cleanly, then exits with it. */
function supervise(child) {
  const forward = (sig) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
}

async function startElectron(exe) {
  console.error('Building the app (electron-vite build)…');
  const built = await run([path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build']);
  if (built.code !== 0) {
    console.error('electron-vite build failed; see the errors above.');
    process.exit(1);
  }
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE; // would make the binary behave as plain Node
  // Chromium refuses to run as root without this; the page itself stays in Electron's renderer sandbox.
  const args = typeof process.getuid === 'function' && process.getuid() === 0 ? ['--no-sandbox', '.'] : ['.'];
  console.error('Starting Defect Studio (Electron)…');
  supervise(spawn(exe, args, { cwd: root, stdio: 'inherit', shell: false, env }));
}

function startBrowserMode(reason) {
  console.log(`Electron was not used because ${reason}; starting browser mode instead.`);
  const args = [path.join(root, 'bin', 'defect-studio.js'), 'serve'];
  if (process.env.PORT) args.push('--port', process.env.PORT);
  supervise(spawn(process.execPath, args, { cwd: root, stdio: 'inherit', shell: false }));
}

async function main() {
  if (process.env.DEFECT_STUDIO_BROWSER === '1') return startBrowserMode('DEFECT_STUDIO_BROWSER=1 asks for browser mode');
  const noDisplay = noDisplayReason();
  let exe = electronBinary();
  // Without a display Electron cannot open a window, so a download would be wasted time.
  if (noDisplay) return startBrowserMode(exe ? noDisplay : `${noDisplay} (and the Electron binary is not downloaded)`);
  if (!exe) {
    const failed = await tryDownloadElectron();
    if (failed) return startBrowserMode(failed);
    exe = electronBinary();
  }
  return startElectron(exe);
}

await main();
