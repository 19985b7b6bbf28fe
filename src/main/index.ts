/**
 * Electron entry: the thin shell over the same composition root the browser-mode server and the CLI use.
 * It owns windows, the two custom schemes, IPC and the security baseline; all behaviour lives in services.
 */
import { app, BrowserWindow, utilityProcess } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { utilityProcessLauncher } from './jobs/electronLauncher.js';
import { createStudioApp, type StudioApp } from './router/app.js';
import { contentSecurityPolicy } from './server/csp.js';
import { registerIpc } from './shell/ipc.js';
import { APP_ORIGIN, handleAppScheme, handleAssetScheme, registerSchemes } from './shell/protocols.js';
import { createMainWindow, hardenSession } from './shell/window.js';
import { resolveWorkspaceRoot } from './workspace/paths.js';

const here = path.dirname(fileURLToPath(import.meta.url)); // out/main
const rendererDir = path.join(here, '..', 'renderer');
const preload = path.join(here, '..', 'preload', 'index.cjs');
const devUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;

registerSchemes();
// A second launch only focuses the first window (see 'second-instance'); it must not open its own app.
const primary = app.requestSingleInstanceLock();
if (!primary) app.quit();

let studio: StudioApp | null = null;

async function start(): Promise<void> {
  const workspace = resolveWorkspaceRoot();
  // Jobs run as Electron utility processes: a crash or out-of-memory in training never takes the window down. The
  // entry is named from the app path because this file is bundled into out/main, where CLI_ENTRY's relative path breaks.
  const jobEntry = path.join(app.getAppPath(), 'bin', 'defect-studio.js');
  const jobs = { launcher: utilityProcessLauncher(utilityProcess, { entry: jobEntry }) };
  studio = await createStudioApp({ mode: 'electron', workspace, version: app.getVersion(), jobs });
  console.log(`[defect-studio] workspace: ${workspace}`);

  const allowedOrigins = devUrl ? [APP_ORIGIN, new URL(devUrl).origin] : [APP_ORIGIN];
  hardenSession(allowedOrigins);
  handleAppScheme(rendererDir, contentSecurityPolicy({ kind: 'electron' }));
  handleAssetScheme(studio);
  registerIpc(studio, allowedOrigins);

  // Probing providers opens ORT sessions; do it after the window is up so it never delays the first paint.
  const logProvider = async () => {
    const ep = await studio!.executionProvider();
    const skipped = ep.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
    console.log(`[defect-studio] execution provider: ${ep.name}${skipped ? ` (skipped ${skipped})` : ''}`);
  };

  const open = () => createMainWindow({ preload, url: devUrl ?? `${APP_ORIGIN}/index.html`, allowedOrigins });
  open();
  logProvider().catch((e: unknown) => console.error('[defect-studio] execution-provider probe failed:', e));
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) open();
  });
  app.on('second-instance', () => {
    const [win] = BrowserWindow.getAllWindows();
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
}

if (primary) {
  app.whenReady().then(start).catch((e: unknown) => {
    console.error('[defect-studio] failed to start:', e);
    app.exit(1);
  });
}
app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
app.on('will-quit', () => {
  void studio?.close();
});
