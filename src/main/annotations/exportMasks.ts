/**
 * Mask export: every studio mask of a dataset, written to a folder in one or both of
 *
 *   mvtec        ground_truth/<class name>/<image name>_mask.png   0/255 grey, one file per class present
 *   class-index  class_index/<image path without extension>.png     8-bit grey, pixel = class id
 *
 * plus summary.json (classes with pixel and image counts, the image list with the files written for each).
 * A folder that already holds files is never written without `overwrite` (the caller asks the user first); a folder
 * that cannot be written is reported as such (IO_ERROR, details.readOnly) so that the UI can offer another one.
 * The conversions are the editor's (src/renderer/editor/mask/io.ts), so the export and the editor agree on layouts.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AnnotationClass, ExportSummary, MaskExportFormat } from '../../shared/contract/annotations.js';
import { StudioError } from '../../shared/errors.js';
import { classPixelCounts, exportBinaryMasks, importClassIndexMask } from '../../renderer/editor/mask/io.js';
import { atomicWrite, writeError, writeJsonAtomic } from '../workspace/atomicWrite.js';
import { encodeGreyPng, type MaskStore } from './maskStore.js';

export const SUMMARY_FILE = 'summary.json';

export interface ExportRequest {
  datasetId: string;
  dataset: { name: string; root: string };
  /** Absolute folder, already checked to lie inside the allowed roots. */
  target: string;
  formats: readonly MaskExportFormat[];
  classes: readonly AnnotationClass[];
  overwrite: boolean;
}

export type ExportResult =
  | { status: 'conflict'; target: string; existing: string[] }
  | { status: 'done'; target: string; summaryFile: string; summary: ExportSummary };

/** Up to `limit` entries of a folder; empty when it does not exist. */
async function existingEntries(dir: string, limit = 20): Promise<string[]> {
  try {
    return (await readdir(dir)).slice(0, limit);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code;
    if (errno === 'ENOENT') return [];
    if (errno === 'ENOTDIR') {
      const isFile = await stat(dir).then((s) => s.isFile(), () => false);
      if (isFile) throw new StudioError('BAD_REQUEST', `Export target ${dir} is a file, not a folder; choose a folder.`, { target: dir });
      return []; // a parent is a file: checkWritable reports it as a folder that cannot be created
    }
    throw e;
  }
}

/** Creates the folder and writes/removes a probe file, so a read-only target fails before any mask is written. */
async function checkWritable(dir: string): Promise<void> {
  const probe = path.join(dir, `.write-test-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (e) {
    const err = writeError(dir, e);
    throw new StudioError('IO_ERROR', `${err.message.replace(/\.$/, '')} Choose another export folder.`, { ...err.details, target: dir, readOnly: true });
  }
}

/** File-system-safe folder name for a class ("scratch/deep" -> "scratch_deep"). */
export function classFolderName(name: string): string {
  const safe = name.replace(/[\\/:*?"<>|\x00-\x1f]/g, '_').replace(/^\.+/, '_').trim();
  return safe || 'class';
}

/**
 * MVTec names masks by image file name. Two images with the same name in different folders (test/a/000.png,
 * test/b/000.png) would collide, so those use their whole path with "_" for "/".
 */
export function mvtecStems(imagePaths: readonly string[]): Map<string, string> {
  const stem = (p: string) => path.posix.basename(p).replace(/\.[^.]+$/, '');
  const seen = new Map<string, number>();
  for (const p of imagePaths) seen.set(stem(p), (seen.get(stem(p)) ?? 0) + 1);
  return new Map(imagePaths.map((p) => [p, seen.get(stem(p))! > 1 ? p.replace(/\.[^./]+$/, '').replace(/\//g, '_') : stem(p)]));
}

export async function exportMasks(store: MaskStore, req: ExportRequest): Promise<ExportResult> {
  const existing = await existingEntries(req.target);
  if (existing.length > 0 && !req.overwrite) return { status: 'conflict', target: req.target, existing };
  await checkWritable(req.target);

  const masks = await store.list(req.datasetId);
  const stems = mvtecStems(masks.map((m) => m.imagePath));
  const classes = [...req.classes].sort((a, b) => a.id - b.id);
  const totals = new Map(classes.map((c) => [c.id, { pixels: 0, images: 0 }]));
  const images: ExportSummary['images'] = [];
  const formats = [...new Set(req.formats)];

  for (const m of masks) {
    const stored = await store.read(req.datasetId, m.imagePath);
    if (!stored) continue; // deleted since listing
    const { width, height, channels, data } = stored.mask;
    if (channels !== 1) throw new StudioError('UNREADABLE', `Studio mask ${m.file} has ${channels} channels; it should be single-channel. Re-save it from Annotate.`);
    // Same check the editor runs on load: a pixel of a class that no longer exists is an error, not a silent drop.
    const mask = importClassIndexMask(data, width, height, classes, m.file);
    const counts = classPixelCounts(mask);
    const files: string[] = [];
    if (formats.includes('mvtec')) {
      for (const [classId, binary] of exportBinaryMasks(mask, classes)) {
        const c = classes.find((k) => k.id === classId)!;
        const rel = path.posix.join('ground_truth', classFolderName(c.name), `${stems.get(m.imagePath)}_mask.png`);
        await atomicWrite(path.join(req.target, rel), await encodeGreyPng(binary, width, height));
        files.push(rel);
      }
    }
    if (formats.includes('class-index')) {
      const rel = path.posix.join('class_index', `${m.imagePath.replace(/\.[^./]+$/, '')}.png`);
      await atomicWrite(path.join(req.target, rel), await encodeGreyPng(mask, width, height));
      files.push(rel);
    }
    const pixels: Record<string, number> = {};
    for (const c of classes) {
      if (counts[c.id] === 0) continue;
      pixels[c.name] = counts[c.id];
      const t = totals.get(c.id)!;
      t.pixels += counts[c.id];
      t.images += 1;
    }
    images.push({ path: m.imagePath, width, height, pixels, files });
  }

  const summary: ExportSummary = {
    dataset: { id: req.datasetId, name: req.dataset.name, root: req.dataset.root },
    createdAt: new Date().toISOString(),
    formats,
    classes: classes.map((c) => ({ ...c, ...totals.get(c.id)! })),
    images,
  };
  const summaryFile = path.join(req.target, SUMMARY_FILE);
  await writeJsonAtomic(summaryFile, summary);
  return { status: 'done', target: req.target, summaryFile, summary };
}
