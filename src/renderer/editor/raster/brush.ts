import type { Point, Rect } from '../geometry/rect.js';
import { writeSpan, type MaskWriter, type PaintValue } from '../mask/MaskWriter.js';

/**
 * Round brush rasterisation. A pointer sample is a point in image coordinates (pixel (x, y) covers
 * [x, x+1) x [y, y+1), so its centre is (x+0.5, y+0.5)). One brush segment paints every pixel whose centre lies
 * within `radius` of the segment between two consecutive samples: a capsule. Painting capsules between samples
 * (rather than discs at samples) is what keeps fast pointer moves free of gaps, however far apart the samples are.
 *
 * Each row of the capsule is one interval computed in closed form, so a segment costs O(rows), not O(area):
 * this is what keeps a 200-px brush on a 4096 x 4096 mask far under a frame.
 *
 * Brushes thinner than 2 px could miss every pixel centre between two samples, so for radius < 1 the pixels
 * of the Bresenham line between the two sample pixels are painted too: a 1-px brush always leaves a connected line.
 */
export function paintSegment(writer: MaskWriter, a: Point, b: Point, radius: number, paint: PaintValue): Rect | null {
  const spans = segmentSpans(a, b, radius, writer.width, writer.height);
  if (radius < 1) addLineSpans(spans, a, b, writer.width, writer.height);
  return writeSpans(writer, spans, paint);
}

/** Flat list of (y, x0, x1) triples, x inclusive, already clipped to the image. */
export type Spans = number[];

export function segmentSpans(a: Point, b: Point, radius: number, width: number, height: number): Spans {
  const spans: Spans = [];
  const r = Math.max(0, radius);
  const yStart = Math.max(0, Math.floor(Math.min(a.y, b.y) - r - 0.5));
  const yEnd = Math.min(height - 1, Math.ceil(Math.max(a.y, b.y) + r - 0.5));
  const len = Math.hypot(b.x - a.x, b.y - a.y);
  const dx = len > 0 ? (b.x - a.x) / len : 0;
  const dy = len > 0 ? (b.y - a.y) / len : 0;
  const r2 = r * r;
  for (let y = yStart; y <= yEnd; y++) {
    const yc = y + 0.5;
    let lo = Infinity;
    let hi = -Infinity;
    const da = yc - a.y;
    if (da * da <= r2) {
      const s = Math.sqrt(r2 - da * da);
      lo = Math.min(lo, a.x - s);
      hi = Math.max(hi, a.x + s);
    }
    const db = yc - b.y;
    if (db * db <= r2) {
      const s = Math.sqrt(r2 - db * db);
      lo = Math.min(lo, b.x - s);
      hi = Math.max(hi, b.x + s);
    }
    if (len > 0) {
      // The band between the end discs: |distance across the segment| <= r and 0 <= distance along it <= len,
      // both linear in x on this row.
      const band = bandInterval(-dy, (yc - a.y) * dx - a.x * -dy, -r, r, bandInterval(dx, (yc - a.y) * dy - a.x * dx, 0, len, [-Infinity, Infinity]));
      if (band && band[0] <= band[1]) {
        lo = Math.min(lo, band[0]);
        hi = Math.max(hi, band[1]);
      }
    }
    if (lo > hi) continue;
    const x0 = Math.max(0, Math.ceil(lo - 0.5));
    const x1 = Math.min(width - 1, Math.floor(hi - 0.5));
    if (x0 <= x1) spans.push(y, x0, x1);
  }
  return spans;
}

/** Intersects `within` with the x for which `min <= c*x + k <= max`; null when empty. */
function bandInterval(c: number, k: number, min: number, max: number, within: [number, number] | null): [number, number] | null {
  if (!within) return null;
  if (Math.abs(c) < 1e-12) return k >= min && k <= max ? within : null;
  let u = (min - k) / c;
  let v = (max - k) / c;
  if (u > v) [u, v] = [v, u];
  const lo = Math.max(within[0], u);
  const hi = Math.min(within[1], v);
  return lo <= hi ? [lo, hi] : null;
}

function addLineSpans(spans: Spans, a: Point, b: Point, width: number, height: number): void {
  let x0 = Math.floor(a.x);
  let y0 = Math.floor(a.y);
  const x1 = Math.floor(b.x);
  const y1 = Math.floor(b.y);
  const sx = x0 < x1 ? 1 : -1;
  const sy = y0 < y1 ? 1 : -1;
  const ddx = Math.abs(x1 - x0);
  const ddy = -Math.abs(y1 - y0);
  let err = ddx + ddy;
  for (;;) {
    if (x0 >= 0 && x0 < width && y0 >= 0 && y0 < height) spans.push(y0, x0, x0);
    if (x0 === x1 && y0 === y1) break;
    const e2 = 2 * err;
    if (e2 >= ddy) {
      err += ddy;
      x0 += sx;
    }
    if (e2 <= ddx) {
      err += ddx;
      y0 += sy;
    }
  }
}

/** Prepares the spans' bounding box once, then writes every span; returns that box (null when nothing). */
export function writeSpans(writer: MaskWriter, spans: Spans, paint: PaintValue): Rect | null {
  if (spans.length === 0) return null;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < spans.length; i += 3) {
    const y = spans[i];
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
    if (spans[i + 1] < minX) minX = spans[i + 1];
    if (spans[i + 2] > maxX) maxX = spans[i + 2];
  }
  const rect = { x: minX, y: minY, w: maxX - minX + 1, h: maxY - minY + 1 };
  writer.prepare(rect);
  for (let i = 0; i < spans.length; i += 3) writeSpan(writer.data, writer.width, spans[i], spans[i + 1], spans[i + 2], paint);
  return rect;
}
