/**
 * The one API contract. Every call = { name, input schema, output schema }; every event = { name, payload
 * schema }. The Electron preload, the IPC router, the browser-mode HTTP/WebSocket server and the renderer
 * client are all derived from these two tables, so a call exists everywhere or nowhere.
 *
 * Binary data (images, thumbnails, masks, heatmaps) does not go through calls: it is fetched by URL from the
 * asset endpoint (`assetUrl` in the renderer client), `studio-asset://` in Electron and `/asset/...` in browser mode.
 */
import { z } from 'zod';
import { DatasetSummary, ImageFilter, ImageRecord } from './dataset.js';

function call<I extends z.ZodType, O extends z.ZodType>(input: I, output: O) {
  return { input, output };
}

export const calls = {
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

export type Calls = typeof calls;
export type CallName = keyof Calls;
export type CallInput<N extends CallName> = z.input<Calls[N]['input']>;
export type CallOutput<N extends CallName> = z.output<Calls[N]['output']>;

export const events = {
  'job.progress': z.object({
    jobId: z.string(),
    step: z.number().int(),
    totalSteps: z.number().int().nullable(),
    epoch: z.number().int().nullable(),
    losses: z.record(z.string(), z.number()),
    imagesPerSecond: z.number().nullable(),
    etaSeconds: z.number().nullable(),
    executionProvider: z.string().nullable(),
  }),
  'job.log': z.object({ jobId: z.string(), level: z.enum(['info', 'warn', 'error']), message: z.string(), time: z.string() }),
  'dataset.scanProgress': z.object({ root: z.string(), scanned: z.number().int(), total: z.number().int().nullable() }),
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<N extends EventName> = z.output<Events[N]>;

/** Errors cross the boundary as this shape (see StudioError). */
export const ApiError = z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() });
export type ApiError = z.infer<typeof ApiError>;

/** Results cross the boundary as a tagged union so that errors are values, never thrown across IPC. */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };
