/**
 * Anomaly maps as 16-bit grayscale PNGs: png = round(clamp(value / maxValue, 0, 1) · 65535), with maxValue from
 * model.json (mapPng.maxValue = 2 x threshold, so the threshold sits at mid-scale).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { StudioError } from '../../shared/errors.js';

export function mapToUint16(map: Float32Array, maxValue: number): Uint16Array {
  const out = new Uint16Array(map.length);
  const k = 65535 / maxValue;
  for (let i = 0; i < map.length; i++) out[i] = Math.round(Math.min(Math.max(map[i] * k, 0), 65535));
  return out;
}

export async function writeMapPng(file: string, map: Float32Array, width: number, height: number, maxValue: number): Promise<void> {
  // A Uint16Array input is what tells sharp the raw pixels are 16-bit.
  const png = await sharp(mapToUint16(map, maxValue), { raw: { width, height, channels: 1 } }).toColourspace('grey16').png().toBuffer();
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(`${file}.tmp`, png);
    await rename(`${file}.tmp`, file);
  } catch (e) {
    throw new StudioError('IO_ERROR', `Could not write the anomaly map ${file}: ${(e as Error).message}`);
  }
}

/** Reads a map PNG back to values (tests, Review screen). */
export async function readMapPng(file: string, maxValue: number): Promise<{ values: Float32Array; width: number; height: number; depth: string }> {
  const meta = await sharp(file).metadata();
  const { data, info } = await sharp(file).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  const u16 = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
  const values = new Float32Array(u16.length);
  for (let i = 0; i < u16.length; i++) values[i] = (u16[i] / 65535) * maxValue;
  return { values, width: info.width, height: info.height, depth: String(meta.depth) };
}
