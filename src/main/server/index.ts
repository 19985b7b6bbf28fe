/**
 * Browser mode in one call: compose the app for a workspace and serve it on 127.0.0.1. Used by `serve`,
 * `npm start` (when Electron cannot run) and the E2E fixture, which starts one server per test.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStudioApp, readPackageVersion, type StudioApp, type StudioAppOptions } from '../router/app.js';
import { startServer } from './http.js';

export { startServer, HOST, type RunningServer } from './http.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Repository (or installed package) root: src/main/server → ../../.. */
export const PACKAGE_ROOT = path.resolve(here, '..', '..', '..');
export const DEFAULT_RENDERER_DIR = path.join(PACKAGE_ROOT, 'out', 'renderer');
/** Browser mode's preferred port: IndexedDB (the UI's saved state) is per origin, so a stable port keeps it. */
export const DEFAULT_PORT = 47615;

export interface BrowserModeOptions {
  workspace: string;
  /** 0 = a free port. */
  port?: number;
  /** Defaults to out/renderer of this package. */
  rendererDir?: string | null;
  extraRoots?: string[];
  token?: string;
  executionProvider?: StudioAppOptions['executionProvider'];
}

export interface BrowserModeServer {
  url: string;
  origin: string;
  port: number;
  token: string;
  app: StudioApp;
  close(): Promise<void>;
}

export async function startBrowserModeServer(opts: BrowserModeOptions): Promise<BrowserModeServer> {
  const app = await createStudioApp({
    mode: 'browser',
    workspace: opts.workspace,
    version: readPackageVersion(here),
    extraRoots: opts.extraRoots,
    executionProvider: opts.executionProvider,
  });
  try {
    const server = await startServer({
      app,
      port: opts.port ?? 0,
      rendererDir: opts.rendererDir === undefined ? DEFAULT_RENDERER_DIR : opts.rendererDir,
      token: opts.token,
    });
    return {
      ...server,
      app,
      async close() {
        await server.close();
        await app.close();
      },
    };
  } catch (e) {
    await app.close();
    throw e;
  }
}
