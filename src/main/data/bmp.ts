/**
 * A minimal BMP decoder, because sharp's prebuilt libvips has no BMP loader and KolektorSDD stores its
 * labels as BMP. Handles uncompressed 1/4/8-bit palette, 16-bit 5-5-5, 24-bit and 32-bit files, bottom-up
 * or top-down; RLE and embedded JPEG/PNG BMPs are refused with UNSUPPORTED.
 */
import { StudioError } from '../../shared/errors.js';

export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

export function decodeBmp(buf: Buffer, file: string): RawImage {
  const bad = (why: string) => new StudioError('UNREADABLE', `${file} is not a readable BMP: ${why}.`, { file });
  if (buf.length < 26 || buf[0] !== 0x42 || buf[1] !== 0x4d) throw bad('the BM signature is missing');
  const dataOffset = buf.readUInt32LE(10);
  const dib = buf.readUInt32LE(14);
  let width: number, height: number, bpp: number, compression = 0, paletteSize = 0;
  let topDown = false;
  if (dib === 12) {
    width = buf.readUInt16LE(18);
    height = buf.readUInt16LE(20);
    bpp = buf.readUInt16LE(24);
  } else if (dib >= 40 && buf.length >= 54) {
    width = buf.readInt32LE(18);
    const h = buf.readInt32LE(22);
    topDown = h < 0;
    height = Math.abs(h);
    bpp = buf.readUInt16LE(28);
    compression = buf.readUInt32LE(30);
    paletteSize = buf.readUInt32LE(46);
  } else throw bad(`unknown header size ${dib}`);
  if (width <= 0 || height <= 0) throw bad(`it declares a ${width}x${height} image`);
  // BI_BITFIELDS (3) with 32 bits is what most writers emit for plain BGRA; other masks are rare in datasets.
  if (!(compression === 0 || (compression === 3 && (bpp === 32 || bpp === 16)))) {
    throw new StudioError('UNSUPPORTED', `${file} uses BMP compression ${compression}; save it as PNG or uncompressed BMP.`, { file });
  }
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (dataOffset + stride * height > buf.length) throw bad('the file is shorter than its header says (truncated)');
  const palEntry = dib === 12 ? 3 : 4;
  const palStart = 14 + dib;
  const nPal = bpp <= 8 ? paletteSize || 1 << bpp : 0;
  const pal: number[][] = [];
  for (let i = 0; i < nPal; i++) {
    const o = palStart + i * palEntry;
    pal.push(o + 2 < buf.length ? [buf[o + 2], buf[o + 1], buf[o]] : [0, 0, 0]);
  }
  const grayPalette = pal.every((c) => c[0] === c[1] && c[1] === c[2]);
  const channels: 1 | 3 = bpp <= 8 && grayPalette ? 1 : 3;
  const out = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      let rgb: number[];
      if (bpp <= 8) {
        const bit = x * bpp;
        const byte = buf[row + (bit >> 3)];
        const idx = (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        rgb = pal[idx] ?? [0, 0, 0];
      } else if (bpp === 16) {
        const v = buf.readUInt16LE(row + x * 2);
        rgb = [((v >> 10) & 31) * 8.226, ((v >> 5) & 31) * 8.226, (v & 31) * 8.226].map(Math.round);
      } else if (bpp === 24 || bpp === 32) {
        const o = row + x * (bpp / 8);
        rgb = [buf[o + 2], buf[o + 1], buf[o]];
      } else throw new StudioError('UNSUPPORTED', `${file} has ${bpp} bits per pixel, which BMP does not define.`, { file });
      const p = (y * width + x) * channels;
      if (channels === 1) out[p] = rgb[0];
      else {
        out[p] = rgb[0];
        out[p + 1] = rgb[1];
        out[p + 2] = rgb[2];
      }
    }
  }
  return { data: out, width, height, channels };
}

/** Writes an uncompressed BMP (8-bit gray palette or 24-bit); used by tests and fixture generators. */
export function encodeBmp(img: { data: Uint8Array; width: number; height: number; channels: 1 | 3 }): Buffer {
  const { width, height, channels } = img;
  const bpp = channels === 1 ? 8 : 24;
  const stride = Math.ceil((width * bpp) / 32) * 4;
  const palBytes = channels === 1 ? 256 * 4 : 0;
  const offset = 54 + palBytes;
  const buf = Buffer.alloc(offset + stride * height);
  buf.write('BM', 0, 'latin1');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(offset, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(width, 18);
  buf.writeInt32LE(height, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(bpp, 28);
  buf.writeUInt32LE(stride * height, 34);
  if (channels === 1) for (let i = 0; i < 256; i++) buf.fill(i, 54 + i * 4, 54 + i * 4 + 3);
  for (let y = 0; y < height; y++) {
    const row = offset + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * channels;
      if (channels === 1) buf[row + x] = img.data[p];
      else {
        buf[row + x * 3] = img.data[p + 2];
        buf[row + x * 3 + 1] = img.data[p + 1];
        buf[row + x * 3 + 2] = img.data[p];
      }
    }
  }
  return buf;
}
