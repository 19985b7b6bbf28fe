/**
 * Annotations contract: saving and loading defect masks (PNG next to the dataset's annotation folder), export.
 * Merged into `calls` / `events` by src/shared/api.ts; handlers live in src/main/router/annotations.ts.
 *
 * Mask pixels cross as `MaskBytes`: the row-major bytes (one per pixel, or `channels` per pixel for a mask
 * drawn elsewhere), zlib-compressed (fflate `zlibSync`, RFC 1950) and base64-encoded. Masks are mostly
 * background, so a 4096 x 4096 class-index mask with a few strokes is a few kilobytes on the wire.
 */
import { unzlibSync, zlibSync } from 'fflate';
import { z } from 'zod';
import { StudioError } from '../errors.js';
import { call } from './call.js';

export const AnnotationClass = z.object({
  id: z.number().int().min(1).max(255),
  name: z.string().min(1).max(200),
  color: z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]),
});
export type AnnotationClass = z.infer<typeof AnnotationClass>;

export const MaskBytes = z.object({
  width: z.number().int().positive().max(16384),
  height: z.number().int().positive().max(16384),
  /** 1 for our class-index masks; 1-4 for masks drawn elsewhere (decoded as they are, uninterpreted). */
  channels: z.number().int().min(1).max(4),
  /** base64 of zlib(bytes). */
  zlibBase64: z.string(),
});
export type MaskBytes = z.infer<typeof MaskBytes>;

const ImageKey = { datasetId: z.string().min(1), imagePath: z.string().min(1).max(4096) };

export const MaskExportFormat = z.enum(['mvtec', 'class-index']);
export type MaskExportFormat = z.infer<typeof MaskExportFormat>;

export const ExportSummary = z.object({
  dataset: z.object({ id: z.string(), name: z.string(), root: z.string() }),
  createdAt: z.string(),
  formats: z.array(MaskExportFormat),
  classes: z.array(AnnotationClass.extend({ pixels: z.number().int(), images: z.number().int() })),
  images: z.array(
    z.object({
      path: z.string(),
      width: z.number().int(),
      height: z.number().int(),
      /** Pixel count per class name (only classes present). */
      pixels: z.record(z.string(), z.number().int()),
      /** Written files, relative to the export folder. */
      files: z.array(z.string()),
    }),
  ),
});
export type ExportSummary = z.infer<typeof ExportSummary>;

export const annotationCalls = {
  /**
   * The starting mask of one image: the studio's saved mask when there is one, else the dataset's own mask
   * (ImageRecord.maskPath) decoded as stored, else none. Also the classes saved with the dataset's masks.
   */
  'annotations.load': call(
    z.object({ ...ImageKey, maskPath: z.string().nullable().default(null) }),
    z.object({
      source: z.enum(['studio', 'dataset', 'none']),
      /** Mask file relative to the dataset root, or null for 'none'. */
      file: z.string().nullable(),
      mask: MaskBytes.nullable(),
      classes: z.array(AnnotationClass).nullable(),
    }),
  ),
  /** Writes one image's class-index mask as a single-channel PNG (atomically) and the dataset's class list. */
  'annotations.save': call(
    z.object({ ...ImageKey, mask: MaskBytes, classes: z.array(AnnotationClass).min(1) }),
    z.object({ file: z.string(), bytes: z.number().int(), savedAt: z.string() }),
  ),
  /** The dataset's defect classes as saved beside its masks (classes.json), or null when none were saved. */
  'annotations.classes': call(z.object({ datasetId: z.string().min(1) }), z.object({ classes: z.array(AnnotationClass).nullable() })),
  /**
   * Replaces the dataset's class list (rename, delete, add). A class still painted in a saved studio mask cannot be
   * left out: the call fails with INVALID_STATE naming the images (erase those strokes first); masks are never
   * rewritten by a class change, so a rename keeps every painted pixel and a delete never loses one.
   */
  'annotations.setClasses': call(
    z.object({ datasetId: z.string().min(1), classes: z.array(AnnotationClass).min(1) }),
    z.object({ classes: z.array(AnnotationClass) }),
  ),
  /** Per class id, the saved studio masks that paint it (image paths) and their pixel count. */
  'annotations.classUsage': call(
    z.object({ datasetId: z.string().min(1) }),
    z.array(z.object({ classId: z.number().int(), images: z.array(z.string()), pixels: z.number().int() })),
  ),
  /** Images of a dataset that have a studio mask, with the mask file (relative to the dataset root). */
  'annotations.list': call(z.object({ datasetId: z.string().min(1) }), z.array(z.object({ imagePath: z.string(), file: z.string() }))),
  /** The folder export would write to when none is given: <workspace>/exports/<dataset name>-masks. */
  'annotations.exportTarget': call(z.object({ datasetId: z.string().min(1) }), z.object({ target: z.string() })),
  /**
   * Exports every studio mask of a dataset. A target that exists and is not empty is not touched unless
   * `overwrite` is true: the call answers `{ status: 'conflict' }` for the UI to ask first. A target that cannot
   * be written is an IO_ERROR with `details.readOnly = true` so that the UI offers another folder.
   */
  'annotations.export': call(
    z.object({
      datasetId: z.string().min(1),
      target: z.string().min(1).max(4096),
      formats: z.array(MaskExportFormat).min(1).default(['mvtec', 'class-index']),
      classes: z.array(AnnotationClass).min(1),
      overwrite: z.boolean().default(false),
    }),
    z.discriminatedUnion('status', [
      z.object({ status: z.literal('conflict'), target: z.string(), existing: z.array(z.string()) }),
      z.object({ status: z.literal('done'), target: z.string(), summaryFile: z.string(), summary: ExportSummary }),
    ]),
  ),
} as const;
export const annotationEvents = {} as const;

/** Packs mask bytes for the wire (both sides: the renderer saves, the main process loads). */
export function encodeMaskBytes(data: Uint8Array, width: number, height: number, channels = 1): MaskBytes {
  if (data.length !== width * height * channels) {
    throw new StudioError('BAD_REQUEST', `Mask has ${data.length} bytes but ${width} x ${height} x ${channels} needs ${width * height * channels}.`);
  }
  return { width, height, channels, zlibBase64: toBase64(zlibSync(data, { level: 1 })) };
}

/** Unpacks and checks MaskBytes; `source` names the mask in the error. */
export function decodeMaskBytes(m: MaskBytes, source = 'mask'): Uint8Array {
  let data: Uint8Array;
  try {
    data = unzlibSync(fromBase64(m.zlibBase64));
  } catch (e) {
    throw new StudioError('BAD_REQUEST', `${source}: the mask bytes are not valid base64 zlib data (${(e as Error).message}).`);
  }
  if (data.length !== m.width * m.height * m.channels) {
    throw new StudioError('BAD_REQUEST', `${source} unpacks to ${data.length} bytes but ${m.width} x ${m.height} x ${m.channels} needs ${m.width * m.height * m.channels}.`);
  }
  return data;
}

// btoa/atob exist in browsers and Node >= 16; chunks keep String.fromCharCode's argument list short.
function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
