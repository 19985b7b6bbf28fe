import type { Rect } from '../geometry/rect.js';

/**
 * What rasterisers write into: the live class-index mask plus a `prepare` hook they call with the area they
 * are about to change, before changing it. The editor's open edit uses the hook to snapshot the old bytes
 * (for undo) and to mark the area dirty (for rendering); tests pass a plain writer with a no-op hook.
 */
export interface MaskWriter {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
  prepare(rect: Rect): void;
}

export function plainWriter(width: number, height: number, data: Uint8Array = new Uint8Array(width * height)): MaskWriter {
  return { width, height, data, prepare: () => {} };
}

/**
 * How a raster operation writes a value. `onlyWhere` restricts writes to pixels currently holding that class
 * (the eraser's "only the current class", the brush's "do not paint over other classes" = onlyWhere 0).
 */
export interface PaintValue {
  value: number;
  onlyWhere?: number;
}

/** Writes `paint` into the pixels `[x0, x1]` (inclusive) of row `y`; the caller has clipped to the image. */
export function writeSpan(data: Uint8Array, width: number, y: number, x0: number, x1: number, paint: PaintValue): void {
  const start = y * width + x0;
  const end = y * width + x1 + 1;
  if (paint.onlyWhere === undefined) {
    data.fill(paint.value, start, end);
    return;
  }
  const only = paint.onlyWhere;
  for (let i = start; i < end; i++) if (data[i] === only) data[i] = paint.value;
}
