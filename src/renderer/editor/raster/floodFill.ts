import type { Point, Rect } from '../geometry/rect.js';
import type { MaskWriter, PaintValue } from '../mask/MaskWriter.js';
import { writeSpans, type Spans } from './brush.js';

/**
 * Image intensity the fill may also follow: one grey byte per pixel, same size as the mask. With it, a pixel
 * joins the region only if its mask class equals the seed's AND its intensity is within `tolerance` of the
 * seed's intensity, so a click inside a dark scratch fills the scratch, not the whole background.
 */
export interface FillImage {
  gray: Uint8Array;
  tolerance: number;
}

/**
 * 4-connected scanline flood fill from `seed` (integer pixel) over pixels of the seed's class. Returns the
 * region as spans; the visited bitmap is one byte per pixel, allocated per fill (16 MiB at 4096 x 4096, freed at once).
 */
export function floodRegion(mask: Uint8Array, width: number, height: number, seed: Point, image?: FillImage): Spans {
  const spans: Spans = [];
  const sx = Math.floor(seed.x);
  const sy = Math.floor(seed.y);
  if (sx < 0 || sy < 0 || sx >= width || sy >= height) return spans;
  const seedIndex = sy * width + sx;
  const cls = mask[seedIndex];
  const gray = image?.gray;
  const tol = image?.tolerance ?? 0;
  const g0 = gray ? gray[seedIndex] : 0;
  const visited = new Uint8Array(width * height);
  const inside = (i: number): boolean => visited[i] === 0 && mask[i] === cls && (!gray || Math.abs(gray[i] - g0) <= tol);

  const stack: number[] = [sx, sy];
  while (stack.length > 0) {
    const y = stack.pop()!;
    const x = stack.pop()!;
    const row = y * width;
    if (!inside(row + x)) continue;
    let l = x;
    while (l > 0 && inside(row + l - 1)) l--;
    let r = x;
    while (r < width - 1 && inside(row + r + 1)) r++;
    visited.fill(1, row + l, row + r + 1);
    spans.push(y, l, r);
    for (const ny of [y - 1, y + 1]) {
      if (ny < 0 || ny >= height) continue;
      const nrow = ny * width;
      let inRun = false;
      for (let nx = l; nx <= r; nx++) {
        const ok = inside(nrow + nx);
        if (ok && !inRun) stack.push(nx, ny);
        inRun = ok;
      }
    }
  }
  return spans;
}

/** Fills the region under `seed` with `paint`; null when the region already has that class (nothing to change). */
export function floodFill(writer: MaskWriter, seed: Point, paint: PaintValue, image?: FillImage): Rect | null {
  const sx = Math.floor(seed.x);
  const sy = Math.floor(seed.y);
  if (sx < 0 || sy < 0 || sx >= writer.width || sy >= writer.height) return null;
  if (writer.data[sy * writer.width + sx] === paint.value) return null;
  return writeSpans(writer, floodRegion(writer.data, writer.width, writer.height, seed, image), paint);
}
