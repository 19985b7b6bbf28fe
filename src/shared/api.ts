/**
 * The one API contract. Every call = { name, input schema, output schema }; every event = { name, payload
 * schema }. The Electron preload, the IPC router, the browser-mode HTTP/WebSocket server and the renderer
 * client are all derived from these two tables, so a call exists everywhere or nowhere.
 *
 * Binary data (images, thumbnails, masks, heatmaps) does not go through calls: it is fetched by URL from the
 * asset endpoint (`assetUrl` in the renderer client), `studio-asset://` in Electron and `/asset/...` in browser mode.
 */
import { z } from 'zod';
import { annotationCalls, annotationEvents } from './contract/annotations.js';
import { call } from './contract/call.js';
import { jobCalls, jobEvents } from './contract/jobs.js';
import { modelCalls, modelEvents } from './contract/models.js';
import { reviewCalls, reviewEvents } from './contract/review.js';
import { DatasetSummary, ImageFilter, ImageRecord } from './dataset.js';

/** App and datasets calls; every other domain keeps its calls in src/shared/contract/<domain>.ts. */
export const coreCalls = {
  'app.info': call(
    z.object({}),
    z.object({
      version: z.string(),
      mode: z.enum(['electron', 'browser']),
      platform: z.string(),
      workspace: z.string(),
      /** Execution provider inference/training will use and why others were skipped. */
      executionProvider: z.object({ name: z.string(), skipped: z.array(z.object({ name: z.string(), reason: z.string() })) }),
    }),
  ),
  'datasets.open': call(z.object({ root: z.string().min(1) }), DatasetSummary),
  'datasets.list': call(z.object({}), z.array(DatasetSummary)),
  'datasets.rescan': call(z.object({ datasetId: z.string() }), DatasetSummary),
  'datasets.close': call(z.object({ datasetId: z.string() }), z.object({ ok: z.literal(true) })),
  'datasets.images': call(
    z.object({
      datasetId: z.string(),
      filter: ImageFilter.default({}),
      offset: z.number().int().nonnegative().default(0),
      limit: z.number().int().positive().max(100_000).default(1000),
    }),
    z.object({ total: z.number().int(), items: z.array(ImageRecord) }),
  ),
} as const;

export const calls = { ...coreCalls, ...reviewCalls, ...annotationCalls, ...jobCalls, ...modelCalls } as const;

export type Calls = typeof calls;
export type CallName = keyof Calls;
export type CallInput<N extends CallName> = z.input<Calls[N]['input']>;
export type CallOutput<N extends CallName> = z.output<Calls[N]['output']>;

export const events = {
  'dataset.scanProgress': z.object({ root: z.string(), scanned: z.number().int(), total: z.number().int().nullable() }),
  ...jobEvents,
  ...reviewEvents,
  ...annotationEvents,
  ...modelEvents,
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<N extends EventName> = z.output<Events[N]>;

/** Errors cross the boundary as this shape (see StudioError). */
export const ApiError = z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() });
export type ApiError = z.infer<typeof ApiError>;

/** Results cross the boundary as a tagged union so that errors are values, never thrown across IPC. */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(calls, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(events, name);
}

/**
 * Assets: binary files the renderer shows by URL. A ref names the file the way the services know it (dataset id +
 * path relative to its root); the main process turns it into a file path and refuses anything outside the opened
 * dataset roots and the workspace. `file` is for workspace artefacts (heatmaps, exported masks) by absolute path.
 */
const relPath = z.string().min(1).max(4096);
export const AssetRef = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('image'), datasetId: z.string().min(1), path: relPath }),
  z.object({ kind: z.literal('mask'), datasetId: z.string().min(1), path: relPath }),
  z.object({
    kind: z.literal('thumbnail'),
    datasetId: z.string().min(1),
    path: relPath,
    size: z.coerce.number().int().min(16).max(1024).default(256),
  }),
  z.object({ kind: z.literal('file'), path: relPath }),
]);
export type AssetRef = z.input<typeof AssetRef>;
export type ResolvedAssetRef = z.output<typeof AssetRef>;

/** `kind=image&dataset=…&path=…`: the query both asset URL schemes share (studio-asset:// and /asset). */
export function assetQuery(ref: AssetRef): string {
  const q = new URLSearchParams({ kind: ref.kind });
  if (ref.kind !== 'file') q.set('dataset', ref.datasetId);
  q.set('path', ref.path);
  if (ref.kind === 'thumbnail' && ref.size !== undefined) q.set('size', String(ref.size));
  return q.toString();
}

/** Inverse of assetQuery; throws a ZodError on a malformed query. */
export function parseAssetQuery(q: URLSearchParams): ResolvedAssetRef {
  const raw: Record<string, string> = {};
  for (const key of ['kind', 'path', 'size'] as const) {
    const v = q.get(key);
    if (v !== null) raw[key] = v;
  }
  const dataset = q.get('dataset');
  if (dataset !== null) raw.datasetId = dataset;
  return AssetRef.parse(raw);
}

/** IPC channel names: one per call, one for all events. Shared by preload and the Electron shell. */
export const callChannel = (name: CallName): string => `studio:call:${name}`;
export const EVENT_CHANNEL = 'studio:event';

/** The one object the Electron preload exposes as `window.studio` (never ipcRenderer itself). */
export interface StudioBridge {
  readonly mode: 'electron';
  invoke(name: CallName, input: unknown): Promise<ApiResult<unknown>>;
  /** Subscribes to one event; returns the unsubscribe function. */
  on(event: EventName, cb: (payload: unknown) => void): () => void;
  assetUrl(ref: AssetRef): string;
}
