/**
 * IPC: one ipcMain.handle per contract call, each routed to the same router as browser mode, and every bus
 * event forwarded to the windows. Calls from frames that are not the app (e.g. an injected iframe) are refused.
 */
import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { callChannel, EVENT_CHANNEL, type ApiResult } from '../../shared/api.js';
import type { StudioApp } from '../router/app.js';

export function registerIpc(app: StudioApp, allowedOrigins: string[]): () => void {
  const fromApp = (e: IpcMainInvokeEvent) => {
    const url = e.senderFrame?.url ?? '';
    return allowedOrigins.some((o) => url.startsWith(o));
  };
  for (const name of app.router.names) {
    ipcMain.handle(callChannel(name), async (e, input: unknown): Promise<ApiResult<unknown>> => {
      if (!fromApp(e)) {
        return { ok: false, error: { code: 'UNAUTHORIZED', message: `API call ${name} from ${e.senderFrame?.url ?? 'an unknown frame'} refused.` } };
      }
      return app.router.dispatch(name, input);
    });
  }
  const unsubscribe = app.events.subscribe((event, payload) => {
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, { event, payload });
    }
  });
  return () => {
    unsubscribe();
    for (const name of app.router.names) ipcMain.removeHandler(callChannel(name));
  };
}
