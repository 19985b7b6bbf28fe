/**
 * Decoding and encoding pixels with sharp (BMP through bmp.ts). Every decode checks the header's pixel count
 * first, so a 20 000 x 20 000 image is refused with TOO_LARGE before any pixel memory is allocated, and every
 * error names the file.
 */
import { readFile } from 'node:fs/promises';
import sharp, { type Sharp, type SharpOptions } from 'sharp';
import { StudioError } from '../../shared/errors.js';
import { decodeBmp, type RawImage } from './bmp.js';
import { readImageInfo } from './imageHeader.js';
import { pngHasNonZero } from './maskStats.js';

/** Full decodes above this are refused: 100 MP of RGB float32 would already be 1.2 GB in a tensor. */
export const MAX_DECODE_PIXELS = 100_000_000;

export type { RawImage };

export interface DecodeOptions {
  /** 1 = gray, 3 = RGB; alpha is always dropped. */
  channels: 1 | 3;
  maxPixels?: number;
}

/** Checks size and integrity from the header; returns the format for the decoder to use. */
async function precheck(file: string, maxPixels: number): Promise<{ format: string; width: number; height: number }> {
  const info = await readImageInfo(file);
  if (!info.header.ok) {
    const notFound = info.header.reason.includes('ENOENT');
    throw new StudioError(notFound ? 'NOT_FOUND' : 'UNREADABLE', `${file}: ${notFound ? 'the file does not exist' : info.header.reason}.`, { file });
  }
  const { width, height, format } = info.header;
  if (width * height > maxPixels) {
    throw new StudioError(
      'TOO_LARGE',
      `${file} is ${width}x${height} (${((width * height) / 1e6).toFixed(0)} MP), over the ${(maxPixels / 1e6).toFixed(0)} MP decode limit; ` +
        'downscale or tile it before using it.',
      { file, width, height },
    );
  }
  return { format, width, height };
}

function decodeError(file: string, e: unknown): StudioError {
  if (e instanceof StudioError) return e;
  return new StudioError('UNREADABLE', `${file} could not be decoded: ${(e as Error).message}.`, { file });
}

/** Opens any supported file as a sharp pipeline (BMP decoded here first). */
export async function openSharp(file: string, format: string, opts: SharpOptions): Promise<Sharp> {
  if (format === 'bmp') {
    const raw = decodeBmp(await readFile(file), file);
    return sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
  }
  return sharp(file, opts);
}

export async function decodeImage(file: string, opts: DecodeOptions): Promise<RawImage> {
  const maxPixels = opts.maxPixels ?? MAX_DECODE_PIXELS;
  const { format } = await precheck(file, maxPixels);
  try {
    let img = (await openSharp(file, format, { limitInputPixels: maxPixels })).removeAlpha();
    img = opts.channels === 1 ? img.toColourspace('b-w') : img.toColourspace('srgb');
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== opts.channels) throw new Error(`expected ${opts.channels} channels after conversion, got ${info.channels}`);
    return { data, width: info.width, height: info.height, channels: opts.channels };
  } catch (e) {
    throw decodeError(file, e);
  }
}

/**
 * Decodes the whole file and throws UNREADABLE (naming it) when any of its pixel data is damaged. Cheaper
 * than decodeImage: the pipeline shrinks while decoding (JPEG still entropy-decodes every block, PNG still
 * inflates every row), so damage anywhere is found without materialising full-size pixels. libvips warnings
 * such as "premature end of JPEG file" count as damage.
 */
export async function verifyDecodable(file: string, maxPixels = MAX_DECODE_PIXELS): Promise<void> {
  const { format } = await precheck(file, maxPixels);
  try {
    const img = await openSharp(file, format, { limitInputPixels: maxPixels, sequentialRead: true, failOn: 'warning' });
    await img.resize(64, 64, { fit: 'inside' }).raw().toBuffer();
  } catch (e) {
    throw decodeError(file, e);
  }
}

export interface BinaryMask {
  /** 1 where any colour channel is non-zero, else 0; row-major, one byte per pixel. */
  data: Uint8Array;
  width: number;
  height: number;
}

/** Reads a mask in any mode (gray, palette, RGB, 16-bit, BMP) as a binary mask: non-zero = defect. */
export async function readMask(file: string, maxPixels = MAX_DECODE_PIXELS): Promise<BinaryMask> {
  const { format } = await precheck(file, maxPixels);
  try {
    const { data, info } = await (await openSharp(file, format, { limitInputPixels: maxPixels }))
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const n = info.width * info.height;
    const c = info.channels;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < c; k++) {
        if (data[i * c + k] !== 0) {
          out[i] = 1;
          break;
        }
      }
    }
    return { data: out, width: info.width, height: info.height };
  } catch (e) {
    throw decodeError(file, e);
  }
}

/** True when the mask has at least one defect pixel; the cheap question KolektorSDD labels depend on. */
export async function maskHasDefect(file: string): Promise<boolean> {
  if (/\.png$/i.test(file)) {
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch (e) {
      throw new StudioError('UNREADABLE', `${file} could not be read: ${(e as Error).message}.`, { file });
    }
    const fast = await pngHasNonZero(buf, file);
    if (fast !== null) return fast;
  }
  const m = await readMask(file);
  return m.data.includes(1);
}

export async function encodePng(img: { data: Uint8Array; width: number; height: number; channels: 1 | 2 | 3 | 4 }): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } }).png().toBuffer();
}

/** Encodes a 0/1 (or 0/255) mask as an 8-bit gray PNG with values 0/255, the MVTec convention. */
export async function encodeMaskPng(mask: BinaryMask): Promise<Buffer> {
  const data = Buffer.alloc(mask.width * mask.height);
  for (let i = 0; i < data.length; i++) data[i] = mask.data[i] ? 255 : 0;
  return encodePng({ data, width: mask.width, height: mask.height, channels: 1 });
}
