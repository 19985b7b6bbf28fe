/** Tiny generated images and dataset trees for the data tests; nothing here reads real datasets. */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { encodeBmp } from '../../../src/main/data/bmp.js';

export function tmpDir(prefix = 'ds-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A gray image whose pixel (x, y) is (x * 7 + y * 13 + seed) % 256, so decodes can be checked exactly. */
export function grayPixels(width: number, height: number, seed = 0): Buffer {
  const b = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) b[y * width + x] = (x * 7 + y * 13 + seed) % 256;
  return b;
}

export async function png(width: number, height: number, seed = 0): Promise<Buffer> {
  return sharp(grayPixels(width, height, seed), { raw: { width, height, channels: 1 } }).png().toBuffer();
}

export async function jpeg(width: number, height: number, seed = 0): Promise<Buffer> {
  return sharp(grayPixels(width, height, seed), { raw: { width, height, channels: 1 } }).jpeg({ quality: 90 }).toBuffer();
}

export async function rgbJpeg(width: number, height: number): Promise<Buffer> {
  const b = Buffer.alloc(width * height * 3);
  for (let i = 0; i < b.length; i++) b[i] = (i * 31) % 256;
  return sharp(b, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}

/** 0/255 mask; `defect` paints a 2x2 square at (1,1). */
export async function maskPng(width: number, height: number, defect: boolean): Promise<Buffer> {
  const b = Buffer.alloc(width * height);
  if (defect) for (const [x, y] of [[1, 1], [2, 1], [1, 2], [2, 2]]) b[y * width + x] = 255;
  return sharp(b, { raw: { width, height, channels: 1 } }).png().toBuffer();
}

export function maskBmp(width: number, height: number, defect: boolean): Buffer {
  const b = Buffer.alloc(width * height);
  if (defect) b[width + 1] = 255;
  return encodeBmp({ data: b, width, height, channels: 1 });
}

/** Writes `files` (relative path -> bytes) under `root`, creating folders. */
export function writeTree(root: string, files: Record<string, Buffer | string>): void {
  for (const [rel, data] of Object.entries(files)) {
    const p = path.join(root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, data);
  }
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/**
 * A valid all-black gray PNG of any size, streamed row by row through zlib, so a 20 000 x 20 000 file
 * (400 MP) is written in about a second with a few MB of memory and takes ~2 MB on disk.
 */
export async function writeBlankPng(file: string, width: number, height: number): Promise<void> {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // gray
  const deflate = zlib.createDeflate({ level: 1 });
  const parts: Buffer[] = [];
  deflate.on('data', (c: Buffer) => parts.push(c));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  const row = Buffer.alloc(width + 1); // filter byte 0 + pixels
  for (let y = 0; y < height; y++) {
    if (!deflate.write(row)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  const out = createWriteStream(file);
  out.write(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  out.write(pngChunk('IHDR', ihdr));
  out.write(pngChunk('IDAT', Buffer.concat(parts)));
  out.write(pngChunk('IEND', Buffer.alloc(0)));
  await new Promise((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve(undefined))));
}

/**
 * Path of a blank PNG of this size, generated once per machine into the OS temp folder (tests in parallel
 * forks race safely: each writes its own temp file and renames it into place).
 */
export async function sharedBlankPng(width: number, height: number): Promise<string> {
  const dir = path.join(os.tmpdir(), 'defect-studio-test-fixtures');
  const file = path.join(dir, `blank-${width}x${height}.png`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeBlankPng(tmp, width, height);
  renameSync(tmp, file);
  return file;
}

/** Inserts an APP15 segment of `size` bytes right after SOI, pushing the frame header past the first reads. */
export function withBigAppSegment(jpg: Buffer, size: number): Buffer {
  const seg = Buffer.alloc(4 + size);
  seg[0] = 0xff;
  seg[1] = 0xef;
  seg.writeUInt16BE(size + 2, 2);
  return Buffer.concat([jpg.subarray(0, 2), seg, jpg.subarray(2)]);
}
