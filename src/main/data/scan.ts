/**
 * scanDataset: folder -> layout -> one ImageRecord per readable image, plus a summary that lists what could
 * not be used and why. Steps: walk (walk.ts), detect and classify by path (layouts/), read every image and
 * mask header for size and integrity (imageHeader.ts), decode masks only where the layout's labels live in
 * mask content (KolektorSDD, KolektorSDD2), then count (summary.ts).
 */
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrokenFile, DatasetLayout, DatasetSummary, ImageRecord } from '../../shared/dataset.js';
import { StudioError } from '../../shared/errors.js';
import { datasetId } from './datasetId.js';
import { readImageInfo, readImageInfoSync, type FileImageInfo } from './imageHeader.js';
import { maskHasDefect, MAX_DECODE_PIXELS, verifyDecodable } from './imageIO.js';
import { detectLayout, layoutByName } from './layouts/index.js';
import { mapPool, mapSliced } from './pool.js';
import { summarize } from './summary.js';
import { walkImageFiles } from './walk.js';

export interface ScanProgress {
  root: string;
  scanned: number;
  total: number | null;
}

export interface ScanOptions {
  onProgress?: (p: ScanProgress) => void;
  signal?: AbortSignal;
  /**
   * true (default): read each image's and mask's header for width/height and integrity (two small reads per
   * file). false: only stat the files; width and height are 0 and truncated files are not detected.
   */
  readSizes?: boolean;
  /**
   * Also decode every image (thumbnail-sized, so damage anywhere in the pixel data is found): slow, about a
   * thumbnail's cost per image; damaged images move to `broken`.
   */
  verify?: boolean;
  /** Remembers "mask has a defect pixel" across scans (KolektorSDD labels); key = path, bytes, mtime. */
  maskLabelCache?: Map<string, boolean>;
  /** Force a layout instead of detecting it. */
  layout?: DatasetLayout;
}

export interface ScanResult {
  summary: DatasetSummary;
  images: ImageRecord[];
}

/** How many headers are read between progress events. */
const PROGRESS_EVERY = 500;

export async function scanDataset(root: string, opts: ScanOptions = {}): Promise<ScanResult> {
  const absRoot = path.resolve(root);
  const { signal } = opts;
  const readSizes = opts.readSizes ?? true;
  const walked = await walkImageFiles(absRoot, signal);
  const layout = opts.layout ? layoutByName(opts.layout) : detectLayout(walked.files);
  const classified = layout.classify(walked.files);
  const warnings = [...walked.warnings, ...classified.warnings];
  if (walked.ignoredNonImages) warnings.push(`${walked.ignoredNonImages} non-image file(s) were ignored.`);

  const maskPaths = [...new Set(classified.images.flatMap((c) => (c.maskPath ? [c.maskPath] : [])))];
  const toRead = [...classified.images.map((c) => c.path), ...maskPaths];
  const total = toRead.length;
  opts.onProgress?.({ root: absRoot, scanned: 0, total });
  // Blocking reads in 8 ms slices: for thousands of small reads the per-call cost of libuv's thread pool
  // dominates (measured 1.5-3x slower than sync here, and noisier under load); see README.md.
  let lastReport = 0;
  const readOne = (rel: string) => (readSizes ? readImageInfoSync(path.join(absRoot, rel)) : statOnly(path.join(absRoot, rel)));
  const sliced = await mapSliced(toRead, readOne, {
    signal,
    onSlice: (done) => {
      if (done - lastReport >= PROGRESS_EVERY || done === total) {
        lastReport = done;
        opts.onProgress?.({ root: absRoot, scanned: done, total });
      }
    },
  });
  // TIFF headers need libvips (async); rare in inspection datasets, so they are read one by one afterwards.
  const infos: FileImageInfo[] = await mapPool(sliced, 4, async (r, i) => (r === 'tiff' ? readImageInfo(path.join(absRoot, toRead[i])) : r), signal);
  const infoOf = new Map(toRead.map((p, i) => [p, infos[i]]));

  const broken: BrokenFile[] = [];
  const brokenMasks = new Set<string>();
  for (const m of maskPaths) {
    const h = infoOf.get(m)!.header;
    if (!h.ok) {
      broken.push({ path: m, reason: `mask: ${h.reason}` });
      brokenMasks.add(m);
    }
  }
  const images: ImageRecord[] = [];
  const labelFromMask: { record: ImageRecord; mask: string }[] = [];
  let huge = 0;
  for (const c of classified.images) {
    const info = infoOf.get(c.path)!;
    const h = info.header;
    if (!h.ok) {
      broken.push({ path: c.path, reason: h.reason });
      continue;
    }
    let maskPath = c.maskPath && !brokenMasks.has(c.maskPath) ? c.maskPath : null;
    if (maskPath) {
      const mh = infoOf.get(maskPath)!.header;
      if (mh.ok && (mh.width !== h.width || mh.height !== h.height)) {
        const reason = `mask is ${mh.width}x${mh.height} but its image ${c.path} is ${h.width}x${h.height}; the mask is not used`;
        broken.push({ path: maskPath, reason });
        warnings.push(`Mask ${maskPath} (${mh.width}x${mh.height}) does not match image ${c.path} (${h.width}x${h.height}).`);
        maskPath = null;
      }
    }
    if (h.width * h.height > MAX_DECODE_PIXELS) huge++;
    const record: ImageRecord = {
      path: c.path,
      split: c.split,
      label: c.label,
      maskPath,
      width: h.width,
      height: h.height,
      bytes: info.bytes,
      mtimeMs: info.mtimeMs,
    };
    images.push(record);
    if (c.labelFromMask && maskPath) labelFromMask.push({ record, mask: maskPath });
  }
  if (huge) {
    warnings.push(
      `${huge} image(s) exceed ${MAX_DECODE_PIXELS / 1e6} MP: they are listed and get downsampled thumbnails, but full decodes (training, inference) refuse them.`,
    );
  }
  // KolektorSDD labels are mask content. PNG masks are inflated in libuv's thread pool (maskStats.ts: about
  // 0.5 ms CPU for a 232 x 640 KSDD2 mask), others decoded by sharp; a cache keyed by path, size and mtime
  // makes rescans skip unchanged masks.
  await mapPool(
    labelFromMask,
    os.availableParallelism() * 2,
    async ({ record, mask }) => {
      const abs = path.join(absRoot, mask);
      const info = infoOf.get(mask)!;
      const key = `${abs}\0${info.bytes}\0${info.mtimeMs}`;
      try {
        let defect = opts.maskLabelCache?.get(key);
        if (defect === undefined) {
          defect = await maskHasDefect(abs);
          opts.maskLabelCache?.set(key, defect);
        }
        record.label = defect ? 'defect' : 'good';
      } catch (e) {
        record.label = 'unlabeled';
        record.maskPath = null;
        broken.push({ path: mask, reason: `mask could not be decoded (${(e as Error).message}); image left unlabeled` });
      }
    },
    signal,
  );
  if (opts.verify) {
    const damaged = new Set<ImageRecord>();
    await mapPool(
      images,
      os.availableParallelism(),
      async (record) => {
        if (record.width * record.height > MAX_DECODE_PIXELS) return; // listed with a warning above
        try {
          await verifyDecodable(path.join(absRoot, record.path));
        } catch (e) {
          damaged.add(record);
          broken.push({ path: record.path, reason: `damaged pixel data: ${(e as Error).message.replace(/^.*?could not be decoded: /, '')}` });
        }
      },
      signal,
    );
    if (damaged.size) images.splice(0, images.length, ...images.filter((r) => !damaged.has(r)));
  }
  opts.onProgress?.({ root: absRoot, scanned: total, total });
  if (signal?.aborted) throw new StudioError('CANCELLED', `Scan of ${absRoot} was cancelled.`);
  const summary = summarize(
    { id: datasetId(absRoot), root: absRoot, name: path.basename(absRoot) || absRoot, layout: layout.name },
    images,
    broken,
    warnings,
  );
  return { summary, images };
}

function statOnly(abs: string): FileImageInfo {
  try {
    const st = statSync(abs);
    // Size unknown without the header: 0x0 (the format field is a placeholder; nothing reads it).
    return { bytes: st.size, mtimeMs: st.mtimeMs, header: { ok: true, format: 'png', width: 0, height: 0 } };
  } catch (e) {
    return { bytes: 0, mtimeMs: 0, header: { ok: false, reason: `cannot stat: ${(e as NodeJS.ErrnoException).code}` } };
  }
}
