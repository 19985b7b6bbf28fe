/**
 * The main window with Electron's security baseline: isolated, sandboxed renderer without Node, web security
 * on, no navigation away from the app, no new windows, no permission grants, no remote requests.
 */
import { BrowserWindow, session, shell, type WebContents } from 'electron';

export interface WindowOptions {
  preload: string;
  /** studio-app://app/index.html in production, the electron-vite dev server URL in development. */
  url: string;
  /** Origins the page may load from (the app origin; plus the dev server in development). */
  allowedOrigins: string[];
}

export function hardenSession(allowedOrigins: string[]): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  // No remote content: only the app's own schemes (and the dev server in development) may be requested.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const u = details.url;
    const local =
      u.startsWith('studio-app:') ||
      u.startsWith('studio-asset:') ||
      u.startsWith('devtools:') ||
      u.startsWith('data:') ||
      u.startsWith('blob:') ||
      allowedOrigins.some((o) => u.startsWith(o)) ||
      // The dev server's hot-reload socket; only present when a dev server origin is allowed.
      (/^wss?:\/\/(localhost|127\.0\.0\.1)(:\d+)?\//.test(u) && allowedOrigins.some((o) => /^http:\/\/(localhost|127\.0\.0\.1)/.test(o)));
    callback({ cancel: !local });
  });
}

function blockNavigation(wc: WebContents, allowedOrigins: string[]): void {
  wc.on('will-navigate', (event, url) => {
    if (!allowedOrigins.some((o) => url.startsWith(o))) event.preventDefault();
  });
  wc.on('will-redirect', (event, url) => {
    if (!allowedOrigins.some((o) => url.startsWith(o))) event.preventDefault();
  });
  wc.setWindowOpenHandler(({ url }) => {
    // External documentation links open in the user's browser, never inside the app.
    if (/^https:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  wc.on('will-attach-webview', (event) => event.preventDefault());
}

export function createMainWindow(opts: WindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    show: false,
    title: 'Defect Studio',
    backgroundColor: '#1e1e1e',
    webPreferences: {
      preload: opts.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  blockNavigation(win.webContents, opts.allowedOrigins);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(opts.url);
  return win;
}
