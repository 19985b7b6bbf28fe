/** Dataset vocabulary shared by the datasets service, the API and the renderer. */
import { z } from 'zod';

export const DatasetLayout = z.enum(['mvtec', 'ksdd', 'ksdd2', 'magnetic-tile', 'folder']);
export type DatasetLayout = z.infer<typeof DatasetLayout>;

export const Split = z.enum(['train', 'val', 'test', 'unsplit']);
export type Split = z.infer<typeof Split>;

/** 'good', 'unlabeled', or a defect type name (e.g. 'crack', 'MT_Blowhole'). */
export const Label = z.string().min(1);

export const ImageRecord = z.object({
  /** Path relative to the dataset root, with forward slashes: the image's identity everywhere. */
  path: z.string(),
  split: Split,
  label: Label,
  /** Ground-truth mask path relative to the root, or null when the layout has none for this image. */
  maskPath: z.string().nullable(),
  width: z.number().int().nonnegative(),
  height: z.number().int().nonnegative(),
  /** File size and mtime key thumbnails and caches. */
  bytes: z.number().int().nonnegative(),
  mtimeMs: z.number(),
});
export type ImageRecord = z.infer<typeof ImageRecord>;

export const BrokenFile = z.object({ path: z.string(), reason: z.string() });
export type BrokenFile = z.infer<typeof BrokenFile>;

export const DatasetSummary = z.object({
  id: z.string(), // stable hash of the absolute root
  root: z.string(), // absolute path
  name: z.string(),
  layout: DatasetLayout,
  total: z.number().int(),
  bySplit: z.record(z.string(), z.number().int()),
  byLabel: z.record(z.string(), z.number().int()),
  /** counts per split, then per label: { test: { good: 10, crack: 4 } } */
  bySplitLabel: z.record(z.string(), z.record(z.string(), z.number().int())),
  withMask: z.number().int(),
  broken: z.array(BrokenFile),
  warnings: z.array(z.string()),
  scannedAt: z.string(),
});
export type DatasetSummary = z.infer<typeof DatasetSummary>;

export const ImageFilter = z.object({
  split: Split.optional(),
  label: Label.optional(),
  hasMask: z.boolean().optional(),
});
export type ImageFilter = z.infer<typeof ImageFilter>;
