/**
 * Models contract: listing trained model folders (<workspace>/models/<id>/) with their metrics, export (ONNX /
 * Triton / zip). Merged into `calls` / `events` by src/shared/api.ts; handlers live in src/main/router/models.ts.
 */
import { z } from 'zod';
import { call } from './call.js';

export const EXPORT_FORMATS = ['onnx', 'triton', 'zip'] as const;
export const ExportFormat = z.enum(EXPORT_FORMATS);
export type ExportFormat = z.infer<typeof ExportFormat>;

/** Metric columns of the Models screen, as `eval` stores them in model.json (latest evaluation wins). */
export const METRIC_KEYS = ['image_auroc', 'image_ap', 'image_f1', 'pixel_auroc', 'pixel_ap', 'pixel_f1', 'pro', 'ms_per_image'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

export const ModelRow = z.object({
  id: z.string(),
  dir: z.string(),
  status: z.literal('ok'),
  method: z.string(),
  backbone: z.string(),
  createdAt: z.string(),
  training: z.object({ root: z.string(), trainImages: z.number(), valImages: z.number(), split: z.string(), seconds: z.number() }),
  input: z.object({ fit: z.string(), size: z.number() }),
  threshold: z.number(),
  bytes: z.number(),
  /** Latest evaluation (by evaluatedAt); null when the model was never evaluated. */
  metrics: z
    .object({ data: z.string(), evaluatedAt: z.string().nullable(), values: z.partialRecord(z.enum(METRIC_KEYS), z.number().nullable()) })
    .nullable(),
});
export type ModelRow = z.infer<typeof ModelRow>;

/** A folder under models/ that is not a usable model, with the sentence saying why. */
export const BrokenModelRow = z.object({ id: z.string(), dir: z.string(), status: z.literal('error'), error: z.string() });
export type BrokenModelRow = z.infer<typeof BrokenModelRow>;

export const ModelListEntry = z.discriminatedUnion('status', [ModelRow, BrokenModelRow]);
export type ModelListEntry = z.infer<typeof ModelListEntry>;

/** A model id is a folder name under <workspace>/models: no separators, not '.' or '..'. */
const ModelId = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^/\\]+$/, 'a model id is a folder name, without / or \\')
  .refine((s) => s !== '.' && s !== '..', 'a model id cannot be . or ..');

export const ExportResult = z.object({
  format: ExportFormat,
  modelId: z.string(),
  /** The file or folder written (under <workspace>/exports/<model>-<time>/). */
  path: z.string(),
  files: z.array(z.string()),
  bytes: z.number(),
  threshold: z.number(),
});
export type ExportResult = z.infer<typeof ExportResult>;

export const modelCalls = {
  'models.list': call(z.object({}), z.object({ dir: z.string(), models: z.array(ModelListEntry) })),
  'models.export': call(z.object({ modelId: ModelId, format: ExportFormat }), ExportResult),
} as const;
export const modelEvents = {} as const;
