import { StudioError } from '../../../shared/errors.js';
import type { Rect } from '../geometry/rect.js';
import type { MaskWriter, PaintValue } from '../mask/MaskWriter.js';
import { writeSpans, type Spans } from './brush.js';

/** An anomaly map: one float per pixel, row-major. It may be smaller than the image (model resolution). */
export interface Heatmap {
  data: Float32Array;
  width: number;
  height: number;
}

export interface ProposalOptions {
  threshold: number;
  /** Drop 4-connected components with fewer pixels than this (0 keeps everything). */
  minArea?: number;
}

export function validateHeatmap(h: Heatmap): void {
  if (!Number.isInteger(h.width) || !Number.isInteger(h.height) || h.width < 1 || h.height < 1) {
    throw new StudioError('BAD_REQUEST', `Anomaly map size ${h.width} x ${h.height} is not a positive integer size.`);
  }
  if (h.data.length !== h.width * h.height) {
    throw new StudioError(
      'BAD_REQUEST',
      `Anomaly map has ${h.data.length} values but its size ${h.width} x ${h.height} needs ${h.width * h.height}; pass the map with its own width and height.`,
    );
  }
}

/**
 * Which mask pixels the map marks at `threshold` (1 = at or above, 0 = below or NaN). A map smaller than the
 * mask is sampled bilinearly at the mask's pixel centres (half-pixel aligned, like Resize with
 * coordinate_transformation_mode=half_pixel), so the proposal's contour is smooth instead of blocky.
 */
export function thresholdHeatmap(h: Heatmap, width: number, height: number, options: ProposalOptions): Uint8Array {
  validateHeatmap(h);
  if (!Number.isFinite(options.threshold)) {
    throw new StudioError('BAD_REQUEST', `Heatmap threshold ${options.threshold} is not a finite number.`);
  }
  const t = options.threshold;
  const out = new Uint8Array(width * height);
  if (h.width === width && h.height === height) {
    for (let i = 0; i < out.length; i++) out[i] = h.data[i] >= t ? 1 : 0;
  } else {
    const sx = h.width / width;
    const sy = h.height / height;
    for (let y = 0; y < height; y++) {
      const fy = Math.min(h.height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
      const y0 = Math.floor(fy);
      const y1 = Math.min(h.height - 1, y0 + 1);
      const wy = fy - y0;
      for (let x = 0; x < width; x++) {
        const fx = Math.min(h.width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
        const x0 = Math.floor(fx);
        const x1 = Math.min(h.width - 1, x0 + 1);
        const wx = fx - x0;
        const top = h.data[y0 * h.width + x0] * (1 - wx) + h.data[y0 * h.width + x1] * wx;
        const bottom = h.data[y1 * h.width + x0] * (1 - wx) + h.data[y1 * h.width + x1] * wx;
        out[y * width + x] = top * (1 - wy) + bottom * wy >= t ? 1 : 0;
      }
    }
  }
  if (options.minArea && options.minArea > 1) removeSmallComponents(out, width, height, options.minArea);
  return out;
}

/** Zeroes every 4-connected component of 1s smaller than `minArea` pixels, in place. */
export function removeSmallComponents(sel: Uint8Array, width: number, height: number, minArea: number): void {
  // 0 = unselected, 1 = selected and unvisited, 2 = kept, 3 = being labelled.
  const stack: number[] = [];
  const members: number[] = [];
  for (let start = 0; start < sel.length; start++) {
    if (sel[start] !== 1) continue;
    members.length = 0;
    stack.push(start);
    sel[start] = 3;
    while (stack.length > 0) {
      const i = stack.pop()!;
      members.push(i);
      const x = i % width;
      if (x > 0 && sel[i - 1] === 1) (sel[i - 1] = 3), stack.push(i - 1);
      if (x < width - 1 && sel[i + 1] === 1) (sel[i + 1] = 3), stack.push(i + 1);
      if (i >= width && sel[i - width] === 1) (sel[i - width] = 3), stack.push(i - width);
      if (i + width < sel.length && sel[i + width] === 1) (sel[i + width] = 3), stack.push(i + width);
    }
    const keep = members.length >= minArea ? 2 : 0;
    for (const i of members) sel[i] = keep;
  }
  for (let i = 0; i < sel.length; i++) if (sel[i] === 2) sel[i] = 1;
}

/** Row runs of 1s in a selection, as spans. */
export function selectionSpans(sel: Uint8Array, width: number, height: number): Spans {
  const spans: Spans = [];
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let x = 0;
    while (x < width) {
      if (sel[row + x] === 0) {
        x++;
        continue;
      }
      const x0 = x;
      while (x < width && sel[row + x] !== 0) x++;
      spans.push(y, x0, x - 1);
    }
  }
  return spans;
}

/** Paints the proposal into the mask: pixels at or above the threshold get `paint`; the rest are left as they are. */
export function applyHeatmapProposal(writer: MaskWriter, h: Heatmap, options: ProposalOptions, paint: PaintValue): Rect | null {
  const sel = thresholdHeatmap(h, writer.width, writer.height, options);
  return writeSpans(writer, selectionSpans(sel, writer.width, writer.height), paint);
}
