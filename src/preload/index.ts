/**
 * Preload (sandboxed, context-isolated): exposes exactly one object, `window.studio`, derived from the API
 * contract. The page never sees ipcRenderer; it can only invoke the contract's call names and listen to its
 * event names, and everything it sends is validated again by the router in the main process.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  assetQuery,
  callChannel,
  EVENT_CHANNEL,
  isCallName,
  isEventName,
  type ApiResult,
  type AssetRef,
  type CallName,
  type EventName,
  type StudioBridge,
} from '../shared/api.js';

const studio: StudioBridge = {
  mode: 'electron',
  async invoke(name: CallName, input: unknown): Promise<ApiResult<unknown>> {
    if (!isCallName(name)) {
      return { ok: false, error: { code: 'NOT_FOUND', message: `Unknown API call "${String(name)}".` } };
    }
    return (await ipcRenderer.invoke(callChannel(name), input)) as ApiResult<unknown>;
  },
  on(event: EventName, cb: (payload: unknown) => void): () => void {
    if (!isEventName(event)) throw new Error(`Unknown event "${String(event)}".`);
    const listener = (_e: IpcRendererEvent, msg: { event: string; payload: unknown }) => {
      if (msg?.event === event) cb(msg.payload);
    };
    ipcRenderer.on(EVENT_CHANNEL, listener);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, listener);
    };
  },
  assetUrl: (ref: AssetRef) => `studio-asset://asset/?${assetQuery(ref)}`,
};

contextBridge.exposeInMainWorld('studio', studio);
