/**
 * The renderer's API client: one interface whether the page runs inside Electron (over the preload's
 * `window.studio` bridge) or in a browser against the 127.0.0.1 server (fetch for calls, one WebSocket for
 * events). Calls resolve with the contract's output type or reject with a StudioError carrying the main
 * process's code and message.
 *
 * Browser mode finds its per-launch token in the page URL (`?token=`) or in `<meta name="studio-token">`, which
 * the server injects into index.html.
 */
import {
  assetQuery,
  type ApiResult,
  type AssetRef,
  type CallInput,
  type CallName,
  type CallOutput,
  type EventName,
  type EventPayload,
  type StudioBridge,
} from './api.js';
import { StudioError, type StudioErrorCode } from './errors.js';

export interface StudioClient {
  readonly mode: 'electron' | 'browser';
  /** Resolves with the call's output; rejects with a StudioError (code + sentence) when the call fails. */
  invoke<N extends CallName>(name: N, input: CallInput<N>): Promise<CallOutput<N>>;
  /** Same call, with the error as a value instead of a rejection. */
  tryInvoke<N extends CallName>(name: N, input: CallInput<N>): Promise<ApiResult<CallOutput<N>>>;
  /** Subscribes to one event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, cb: (payload: EventPayload<E>) => void): () => void;
  /** URL an <img>, Konva image or fetch can load: studio-asset:// in Electron, /asset?…&token=… in a browser. */
  assetUrl(ref: AssetRef): string;
}

declare global {
  interface Window {
    studio?: StudioBridge;
  }
}

export const TOKEN_HEADER = 'x-studio-token';
export const TOKEN_META = 'studio-token';

function unwrap<T>(result: ApiResult<T>): T {
  if (result.ok) return result.value;
  throw new StudioError(result.error.code as StudioErrorCode, result.error.message, result.error.details);
}

export function electronClient(bridge: StudioBridge): StudioClient {
  const tryInvoke = async <N extends CallName>(name: N, input: CallInput<N>) =>
    (await bridge.invoke(name, input)) as ApiResult<CallOutput<N>>;
  return {
    mode: 'electron',
    tryInvoke,
    invoke: async (name, input) => unwrap(await tryInvoke(name, input)),
    on: (event, cb) => bridge.on(event, cb as (payload: unknown) => void),
    assetUrl: (ref) => bridge.assetUrl(ref),
  };
}

/** Token from `?token=` (what the start script prints) or the tag the server puts into index.html. */
export function readToken(location: { search: string }, document?: { querySelector(s: string): Element | null }): string | null {
  const fromUrl = new URLSearchParams(location.search).get('token');
  if (fromUrl) return fromUrl;
  return document?.querySelector(`meta[name="${TOKEN_META}"]`)?.getAttribute('content') || null;
}

export interface BrowserClientOptions {
  /** http://127.0.0.1:PORT, no trailing slash. */
  origin: string;
  token: string;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
}

export function browserClient(opts: BrowserClientOptions): StudioClient {
  const doFetch = opts.fetch ?? fetch.bind(globalThis);
  // Looked up lazily: a page always has WebSocket, Node 20 (tests, scripts) only when one is passed in.
  const Ws = () => opts.WebSocket ?? globalThis.WebSocket;
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let socket: WebSocket | null = null;
  let retryMs = 500;

  const tryInvoke = async <N extends CallName>(name: N, input: CallInput<N>): Promise<ApiResult<CallOutput<N>>> => {
    let res: Response;
    try {
      res = await doFetch(`${opts.origin}/api/${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TOKEN_HEADER]: opts.token },
        body: JSON.stringify(input ?? {}),
      });
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      return { ok: false, error: { code: 'IO_ERROR', message: `Cannot reach the Defect Studio server at ${opts.origin} (${why}). Is it still running?` } };
    }
    try {
      return (await res.json()) as ApiResult<CallOutput<N>>;
    } catch {
      return { ok: false, error: { code: 'INTERNAL', message: `The server answered ${name} with HTTP ${res.status} and no JSON body.` } };
    }
  };

  const connect = () => {
    const wsOrigin = opts.origin.replace(/^http/, 'ws');
    const ws = new (Ws())(`${wsOrigin}/events?token=${encodeURIComponent(opts.token)}`);
    socket = ws;
    ws.onopen = () => {
      retryMs = 500;
    };
    ws.onmessage = (msg) => {
      let parsed: { event?: EventName; payload?: unknown };
      try {
        parsed = JSON.parse(String(msg.data));
      } catch {
        return;
      }
      if (!parsed.event) return;
      for (const cb of listeners.get(parsed.event) ?? []) cb(parsed.payload);
    };
    ws.onclose = () => {
      socket = null;
      // Reconnect only while someone still listens; back off so a stopped server is not hammered.
      if ([...listeners.values()].some((s) => s.size > 0)) {
        setTimeout(() => {
          if (!socket && [...listeners.values()].some((s) => s.size > 0)) connect();
        }, retryMs);
        retryMs = Math.min(retryMs * 2, 10_000);
      }
    };
  };

  return {
    mode: 'browser',
    tryInvoke,
    invoke: async (name, input) => unwrap(await tryInvoke(name, input)),
    on(event, cb) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const fn = cb as (payload: unknown) => void;
      set.add(fn);
      if (!socket) connect();
      return () => {
        set.delete(fn);
        if (socket && [...listeners.values()].every((s) => s.size === 0)) {
          socket.close();
          socket = null;
        }
      };
    },
    assetUrl: (ref) => `${opts.origin}/asset?${assetQuery(ref)}&token=${encodeURIComponent(opts.token)}`,
  };
}

/**
 * The client for this page: the Electron bridge when the preload installed one, else browser mode with the
 * token from the URL or the page. Throws UNAUTHORIZED with the fix when browser mode has no token.
 */
export function createClient(win: Window = window): StudioClient {
  if (win.studio) return electronClient(win.studio);
  const token = readToken(win.location, win.document);
  if (!token) {
    throw new StudioError(
      'UNAUTHORIZED',
      'This page has no access token. Open the exact URL that `npm start` or `defect-studio serve` printed (it ends in ?token=…).',
    );
  }
  return browserClient({ origin: win.location.origin, token });
}
