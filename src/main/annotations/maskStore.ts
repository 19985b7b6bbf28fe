/**
 * Where the studio keeps the masks people draw, and how they are read and written.
 *
 * Layout (inside the dataset, so masks travel with the images and survive a new workspace):
 *
 *   <dataset>/.defect-studio/masks/<image path>.png     class-index PNG, 8-bit grey, 0 = background, k = class id
 *   <dataset>/.defect-studio/masks/classes.json         [{ id, name, color }] the ids in those PNGs mean
 *
 * The full image path plus `.png` (test/crack/000.png -> masks/test/crack/000.png.png) keeps images that differ only
 * in extension apart and makes the mapping back trivial. The folder is hidden, so dataset scans never list masks as
 * images. Every write is atomic (temp file + rename), so a crash leaves the previous mask, never half a PNG.
 * No electron import: the same store runs in the CLI and the tests.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import { AnnotationClass } from '../../shared/contract/annotations.js';
import { StudioError } from '../../shared/errors.js';
import { decodeBmp } from '../data/bmp.js';
import { MAX_DECODE_PIXELS } from '../data/imageIO.js';
import { atomicWrite, readJsonFile, writeJsonAtomic } from '../workspace/atomicWrite.js';
import { resolveInside } from '../workspace/pathGuard.js';

export const MASKS_DIR = path.posix.join('.defect-studio', 'masks');
export const CLASSES_FILE = 'classes.json';
const MASK_SUFFIX = '.png';

export interface RawMask {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** What the store needs from the datasets service. */
export interface MaskStoreDeps {
  /** Absolute root of an opened dataset; NOT_FOUND for an unknown id. */
  datasetRoot(datasetId: string): Promise<string>;
}

/** Mask file of an image, relative to the dataset root, with forward slashes. */
export function studioMaskPath(imagePath: string): string {
  const rel = imagePath.replace(/\\/g, '/');
  if (rel.startsWith('/') || rel.split('/').some((s) => s === '..' || s === '')) {
    throw new StudioError('FORBIDDEN_PATH', `Image path "${imagePath}" must be relative to the dataset root, without "..".`, { path: imagePath });
  }
  return `${MASKS_DIR}/${rel}${MASK_SUFFIX}`;
}

/** Inverse of studioMaskPath for a path relative to the masks folder. */
export function imagePathOfMask(relToMasks: string): string | null {
  return relToMasks.endsWith(MASK_SUFFIX) && relToMasks !== CLASSES_FILE ? relToMasks.slice(0, -MASK_SUFFIX.length) : null;
}

/** Decodes a mask file as stored (1-4 channels, 8 bit); UNREADABLE/NOT_FOUND naming the file. */
export async function decodeMaskFile(file: string): Promise<RawMask> {
  try {
    const input = /\.bmp$/i.test(file) ? decodeBmp(await readFile(file), file) : null;
    let img = input
      ? sharp(input.data, { raw: { width: input.width, height: input.height, channels: input.channels } })
      : sharp(file, { limitInputPixels: MAX_DECODE_PIXELS });
    // sharp's raw() output is sRGB unless told otherwise; a grey mask must stay one byte per pixel.
    const meta = await img.metadata();
    if ((meta.channels ?? 3) <= 2) img = img.removeAlpha().toColourspace('b-w');
    const { data, info } = await img.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels };
  } catch (e) {
    if (e instanceof StudioError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || /missing|no such file/i.test((e as Error).message)) {
      throw new StudioError('NOT_FOUND', `Mask ${file} does not exist; it may have been deleted or moved.`, { file });
    }
    throw new StudioError('UNREADABLE', `Mask ${file} could not be decoded: ${(e as Error).message}.`, { file });
  }
}

/** 8-bit single-channel PNG; without toColourspace('b-w') sharp writes one-channel raw input as RGB. */
export async function encodeGreyPng(data: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(data, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 6 }).toBuffer();
}

export class MaskStore {
  constructor(private readonly deps: MaskStoreDeps) {}

  /** Absolute path of a file inside the dataset, refused when it would leave the dataset root. */
  private async inside(datasetId: string, rel: string): Promise<string> {
    const root = await this.deps.datasetRoot(datasetId);
    return resolveInside([root], rel);
  }

  async exists(datasetId: string, imagePath: string): Promise<boolean> {
    const file = await this.inside(datasetId, studioMaskPath(imagePath));
    return readFile(file).then(
      () => true,
      () => false,
    );
  }

  /** The studio mask of an image, or null when none was saved. */
  async read(datasetId: string, imagePath: string): Promise<{ file: string; mask: RawMask } | null> {
    const rel = studioMaskPath(imagePath);
    const file = await this.inside(datasetId, rel);
    if (!(await this.exists(datasetId, imagePath))) return null;
    return { file: rel, mask: await decodeMaskFile(file) };
  }

  /** A mask that came with the dataset (ImageRecord.maskPath), decoded as stored. */
  async readDatasetMask(datasetId: string, maskPath: string): Promise<RawMask> {
    return decodeMaskFile(await this.inside(datasetId, maskPath));
  }

  /** Writes a class-index mask atomically; returns the file (relative) and its size in bytes. */
  async write(datasetId: string, imagePath: string, mask: RawMask, classes: readonly AnnotationClass[]): Promise<{ file: string; bytes: number }> {
    if (mask.channels !== 1) throw new StudioError('BAD_REQUEST', `A studio mask is one class index per pixel; got ${mask.channels} channels for ${imagePath}.`);
    const known = new Set(classes.map((c) => c.id));
    for (let i = 0; i < mask.data.length; i++) {
      const v = mask.data[i];
      if (v !== 0 && !known.has(v)) {
        throw new StudioError('BAD_REQUEST', `The mask of ${imagePath} uses class id ${v}, which is not in the class list sent with it; send the full class list.`);
      }
    }
    const rel = studioMaskPath(imagePath);
    const file = await this.inside(datasetId, rel);
    const png = await encodeGreyPng(mask.data, mask.width, mask.height);
    await atomicWrite(file, png);
    await this.writeClasses(datasetId, classes);
    return { file: rel, bytes: png.length };
  }

  /** classes.json, rewritten only when it changed (one more atomic write per stroke would be wasted I/O). */
  async writeClasses(datasetId: string, classes: readonly AnnotationClass[]): Promise<void> {
    const file = await this.inside(datasetId, `${MASKS_DIR}/${CLASSES_FILE}`);
    const current = await this.readClasses(datasetId).catch(() => null);
    if (current && JSON.stringify(current) === JSON.stringify(classes)) return;
    await writeJsonAtomic(file, classes);
  }

  async readClasses(datasetId: string): Promise<AnnotationClass[] | null> {
    const file = await this.inside(datasetId, `${MASKS_DIR}/${CLASSES_FILE}`);
    return readJsonFile(file, z.array(AnnotationClass).nullable(), null);
  }

  /** Every image with a studio mask, sorted by image path. */
  async list(datasetId: string): Promise<{ imagePath: string; file: string }[]> {
    const dir = await this.inside(datasetId, MASKS_DIR);
    const out: { imagePath: string; file: string }[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(path.join(dir, rel), { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw new StudioError('UNREADABLE', `Could not list ${path.join(dir, rel)}: ${(e as Error).message}.`);
      }
      for (const ent of entries) {
        if (ent.name.startsWith('.')) continue; // atomicWrite's temp files
        const child = rel ? `${rel}/${ent.name}` : ent.name;
        if (ent.isDirectory()) await walk(child);
        else if (ent.isFile()) {
          const imagePath = imagePathOfMask(child);
          if (imagePath) out.push({ imagePath, file: `${MASKS_DIR}/${child}` });
        }
      }
    };
    await walk('');
    return out.sort((a, b) => (a.imagePath < b.imagePath ? -1 : a.imagePath > b.imagePath ? 1 : 0));
  }
}
