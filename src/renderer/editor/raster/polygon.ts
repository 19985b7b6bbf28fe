import type { Point, Rect } from '../geometry/rect.js';
import type { MaskWriter, PaintValue } from '../mask/MaskWriter.js';
import { writeSpans, type Spans } from './brush.js';

/**
 * Scanline polygon fill with the even-odd rule, sampled at pixel centres: pixel (x, y) is inside when a ray from
 * (x+0.5, y+0.5) crosses the outline an odd number of times. Edges are half-open in y (an edge covers
 * y0 <= yc < y1) and spans are half-open in x (xa <= xc < xb), so two polygons sharing an edge never both paint
 * the pixels on it and an axis-aligned square (2,2)-(6,6) paints exactly 4 x 4 pixels.
 * A self-intersecting outline (a pentagram) leaves its centre empty, as even-odd says.
 */
export function polygonSpans(points: readonly Point[], width: number, height: number): Spans {
  const spans: Spans = [];
  if (points.length < 3) return spans;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    minY = Math.min(minY, p.y);
    maxY = Math.max(maxY, p.y);
  }
  const yStart = Math.max(0, Math.ceil(minY - 0.5));
  const yEnd = Math.min(height - 1, Math.ceil(maxY - 0.5) - 1);
  const xs: number[] = [];
  const n = points.length;
  for (let y = yStart; y <= yEnd; y++) {
    const yc = y + 0.5;
    xs.length = 0;
    for (let i = 0; i < n; i++) {
      const p = points[i];
      const q = points[(i + 1) % n];
      if ((p.y <= yc && yc < q.y) || (q.y <= yc && yc < p.y)) xs.push(p.x + ((yc - p.y) * (q.x - p.x)) / (q.y - p.y));
    }
    xs.sort((u, v) => u - v);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const x0 = Math.max(0, Math.ceil(xs[k] - 0.5));
      const x1 = Math.min(width - 1, Math.ceil(xs[k + 1] - 0.5) - 1);
      if (x0 <= x1) spans.push(y, x0, x1);
    }
  }
  return spans;
}

export function fillPolygon(writer: MaskWriter, points: readonly Point[], paint: PaintValue): Rect | null {
  return writeSpans(writer, polygonSpans(points, writer.width, writer.height), paint);
}
