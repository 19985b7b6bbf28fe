/**
 * Review contract: running a trained model over a dataset (streamed results), scores, heatmaps, decisions.
 * Merged into `calls` / `events` by src/shared/api.ts; handlers live in src/main/router/review.ts.
 *
 * Anomaly maps never cross as call payloads: each result names its 16-bit PNG (`mapFile`, absolute, under the
 * workspace) which the renderer fetches through the asset endpoint (`{ kind: 'file' }`) and decodes; value =
 * png / 65535 · run.mapMaxValue, in score units (see src/main/models/mapPng.ts).
 */
import { z } from 'zod';
import { call } from './call.js';
import { Split } from '../dataset.js';

/** A model folder under <workspace>/models/, or why it cannot be used (corrupt, incomplete). */
export const ReviewModelEntry = z.object({
  dir: z.string(),
  name: z.string(),
  method: z.string().nullable(),
  backbone: z.string().nullable(),
  threshold: z.number().nullable(),
  createdAt: z.string().nullable(),
  /** Sentence saying why the folder is not usable; null when it is. */
  error: z.string().nullable(),
});
export type ReviewModelEntry = z.infer<typeof ReviewModelEntry>;

export const RunStatus = z.enum(['running', 'done', 'cancelled', 'failed']);
export type RunStatus = z.infer<typeof RunStatus>;

export const ReviewRun = z.object({
  runId: z.string(),
  modelDir: z.string(),
  modelName: z.string(),
  method: z.string(),
  datasetId: z.string(),
  datasetRoot: z.string(),
  datasetName: z.string(),
  /** Only images of this split were inspected; null = all. */
  split: Split.nullable(),
  /** The model's stored threshold (score units). */
  threshold: z.number(),
  /** Map PNG scale: value = png / 65535 · mapMaxValue. */
  mapMaxValue: z.number(),
  createdAt: z.string(),
  status: RunStatus,
  done: z.number().int(),
  total: z.number().int(),
  error: z.string().nullable(),
});
export type ReviewRun = z.infer<typeof ReviewRun>;

export const DecisionKind = z.enum(['accept', 'reject', 'relabel']);
export type DecisionKind = z.infer<typeof DecisionKind>;

export const Decision = z.object({
  kind: DecisionKind,
  /** For relabel: the new label ('good' or a defect name). */
  label: z.string().min(1).nullable(),
  at: z.string(),
});
export type Decision = z.infer<typeof Decision>;

export const ReviewResult = z.object({
  /** Image path relative to the dataset root (its identity). */
  path: z.string(),
  split: Split,
  /** Ground-truth label from the dataset ('good', a defect name or 'unlabeled'). */
  label: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  score: z.number().nullable(),
  /** Absolute path of the 16-bit map PNG at image resolution; null when the image failed. */
  mapFile: z.string().nullable(),
  /**
   * The same map box-averaged to at most PREVIEW_MAX_SIDE px (same PNG scale), for drawing: a 1024² map PNG is
   * ~1.7 MB to fetch and inflate, its preview ~30 KB, and the model's map has no finer detail than its input grid.
   * null when the image is already that small (use mapFile) or the image failed.
   */
  previewFile: z.string().nullable(),
  /**
   * The image re-encoded as a JPEG of at most VIEW_MAX_SIDE px, written by the run (absolute, under the
   * workspace): what the screen shows first, because it fetches and decodes several times faster than the
   * original (a 1024² PNG is 1-3 MB); the original then replaces it for pixel inspection. null for runs made before
   * it existed, a failed image, or when it could not be written (the screen then loads the original).
   */
  viewFile: z.string().nullable().default(null),
  /** Why this image has no result (deleted, unreadable); null when it has one. */
  error: z.string().nullable(),
  decision: Decision.nullable(),
});
export type ReviewResult = z.infer<typeof ReviewResult>;

/** Long side of the preview maps the Review screen draws (see ReviewResult.previewFile). */
export const PREVIEW_MAX_SIDE = 256;

/** Long side of the JPEG view copies a run writes (see ReviewResult.viewFile). */
export const VIEW_MAX_SIDE = 1024;

export const reviewCalls = {
  'review.models': call(z.object({}), z.array(ReviewModelEntry)),
  /** Starts an inspection (or returns the finished run of the same model + dataset + split: `cached`). */
  'review.run': call(
    z.object({ modelDir: z.string().min(1), datasetId: z.string().min(1), split: Split.nullable().default(null), force: z.boolean().default(false) }),
    z.object({ runId: z.string(), cached: z.boolean(), run: ReviewRun }),
  ),
  'review.cancel': call(z.object({ runId: z.string().min(1) }), z.object({ ok: z.literal(true) })),
  'review.runs': call(z.object({}), z.array(ReviewRun)),
  'review.results': call(z.object({ runId: z.string().min(1) }), z.object({ run: ReviewRun, results: z.array(ReviewResult) })),
  /** Stores (or with decision null, clears) the reviewer's decision on one image; persisted in the run folder. */
  'review.decide': call(
    z.object({ runId: z.string().min(1), path: z.string().min(1), decision: DecisionKind.nullable(), label: z.string().min(1).nullable().default(null) }),
    z.object({ path: z.string(), decision: Decision.nullable() }),
  ),
  /** Where one image's map is and how to read it (the Annotate screen's heatmap-to-mask tool). */
  'review.mapInfo': call(
    z.object({ runId: z.string().min(1), path: z.string().min(1) }),
    z.object({ mapFile: z.string(), mapMaxValue: z.number(), threshold: z.number(), width: z.number().int(), height: z.number().int() }),
  ),
} as const;

export const reviewEvents = {
  'review.progress': z.object({ runId: z.string(), status: RunStatus, done: z.number().int(), total: z.number().int(), error: z.string().nullable() }),
  'review.result': z.object({ runId: z.string(), result: ReviewResult }),
} as const;
