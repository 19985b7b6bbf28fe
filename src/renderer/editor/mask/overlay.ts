import type { Rect } from '../geometry/rect.js';
import type { DefectClass } from './classes.js';

/**
 * Colours for the mask overlay: 256 RGBA entries, one per class index; background (0) and unknown ids are
 * transparent. Built once per class/opacity change and read as 32-bit words, so colouring a pixel is one
 * table lookup and one store. The table is filled byte-wise and read through a Uint32Array over the same memory,
 * so it is right on any endianness.
 */
export function buildPalette(classes: readonly DefectClass[], opacity: number): Uint32Array {
  const bytes = new Uint8Array(256 * 4);
  const alpha = Math.round(Math.min(1, Math.max(0, opacity)) * 255);
  for (const c of classes) {
    bytes.set([c.color[0], c.color[1], c.color[2], alpha], c.id * 4);
  }
  return new Uint32Array(bytes.buffer);
}

/**
 * Writes the overlay pixels of `rect` into `out` (rect.w * rect.h * 4 bytes, row-major, like ImageData.data).
 * `out` may be a caller-owned buffer reused across frames; its byte offset must be a multiple of 4.
 */
export function fillOverlayRGBA(
  mask: Uint8Array,
  maskWidth: number,
  rect: Rect,
  palette: Uint32Array,
  out: Uint8ClampedArray | Uint8Array = new Uint8ClampedArray(rect.w * rect.h * 4),
): Uint8ClampedArray | Uint8Array {
  if (out.length < rect.w * rect.h * 4) {
    throw new Error(`Overlay buffer holds ${out.length} bytes but the rect ${rect.w} x ${rect.h} needs ${rect.w * rect.h * 4}.`);
  }
  const words = new Uint32Array(out.buffer, out.byteOffset, rect.w * rect.h);
  for (let y = 0; y < rect.h; y++) {
    const m = (rect.y + y) * maskWidth + rect.x;
    const o = y * rect.w;
    for (let x = 0; x < rect.w; x++) words[o + x] = palette[mask[m + x]];
  }
  return out;
}
