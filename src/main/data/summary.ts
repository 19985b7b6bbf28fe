/** Counts for the summary and the image filter: pure functions over ImageRecord lists. */
import type { BrokenFile, DatasetLayout, DatasetSummary, ImageFilter, ImageRecord } from '../../shared/dataset.js';

export function summarize(
  base: { id: string; root: string; name: string; layout: DatasetLayout },
  images: readonly ImageRecord[],
  broken: BrokenFile[],
  warnings: string[],
  now: Date = new Date(),
): DatasetSummary {
  const bySplit: Record<string, number> = {};
  const byLabel: Record<string, number> = {};
  const bySplitLabel: Record<string, Record<string, number>> = {};
  let withMask = 0;
  for (const im of images) {
    bySplit[im.split] = (bySplit[im.split] ?? 0) + 1;
    byLabel[im.label] = (byLabel[im.label] ?? 0) + 1;
    const s = (bySplitLabel[im.split] ??= {});
    s[im.label] = (s[im.label] ?? 0) + 1;
    if (im.maskPath) withMask++;
  }
  return { ...base, total: images.length, bySplit, byLabel, bySplitLabel, withMask, broken, warnings, scannedAt: now.toISOString() };
}

export function matchesFilter(im: ImageRecord, f: ImageFilter): boolean {
  if (f.split !== undefined && im.split !== f.split) return false;
  if (f.label !== undefined && im.label !== f.label) return false;
  if (f.hasMask !== undefined && (im.maskPath !== null) !== f.hasMask) return false;
  return true;
}

export function filterImages(images: readonly ImageRecord[], filter: ImageFilter, offset = 0, limit = Infinity) {
  const matched = images.filter((im) => matchesFilter(im, filter));
  return { total: matched.length, items: matched.slice(offset, offset + limit) };
}
