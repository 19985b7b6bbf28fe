/**
 * Integer pixel rectangles in image coordinates: `x, y` is the top-left pixel, `w, h` the size in pixels.
 * Every changed-area value in the editor (dirty rects, history bounding boxes, `committed` events) uses this shape.
 */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Point {
  x: number;
  y: number;
}

export function rectFromBounds(x0: number, y0: number, x1: number, y1: number): Rect {
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

export function isEmptyRect(r: Rect): boolean {
  return r.w <= 0 || r.h <= 0;
}

/** Smallest rectangle holding both; an empty side is ignored. */
export function unionRect(a: Rect | null, b: Rect | null): Rect | null {
  if (!a || isEmptyRect(a)) return b && !isEmptyRect(b) ? { ...b } : null;
  if (!b || isEmptyRect(b)) return { ...a };
  const x0 = Math.min(a.x, b.x);
  const y0 = Math.min(a.y, b.y);
  return rectFromBounds(x0, y0, Math.max(a.x + a.w, b.x + b.w), Math.max(a.y + a.h, b.y + b.h));
}

export function intersectRect(a: Rect, b: Rect): Rect | null {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.w, b.x + b.w);
  const y1 = Math.min(a.y + a.h, b.y + b.h);
  return x1 > x0 && y1 > y0 ? rectFromBounds(x0, y0, x1, y1) : null;
}

/** Clips a rectangle to the image `[0, width) x [0, height)`; null when nothing is left. */
export function clipRect(r: Rect, width: number, height: number): Rect | null {
  return intersectRect(r, { x: 0, y: 0, w: width, h: height });
}

/** True when the two rectangles overlap or share an edge, so merging them wastes no area along that edge. */
export function touchesRect(a: Rect, b: Rect): boolean {
  return a.x <= b.x + b.w && b.x <= a.x + a.w && a.y <= b.y + b.h && b.y <= a.y + a.h;
}

export function rectArea(r: Rect): number {
  return Math.max(0, r.w) * Math.max(0, r.h);
}
