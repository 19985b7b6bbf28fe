import type { Heatmap } from '../raster/heatmap.js';

/**
 * Colouring of the anomaly-map layer and of the predicted-mask outline at a threshold. Both work at the map's own
 * resolution; the canvas layer scales the result to the image (so a 256 x 256 map costs 64 K pixels per threshold
 * change, not the image's millions).
 */
export type ColormapName = 'jet' | 'turbo' | 'gray';

/** 256 RGB entries. */
export function colormapLUT(name: ColormapName): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  const to8 = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255);
  for (let i = 0; i < 256; i++) {
    const x = i / 255;
    let r: number;
    let g: number;
    let b: number;
    if (name === 'jet') {
      // Piecewise-linear MATLAB/matplotlib jet.
      r = 1.5 - Math.abs(4 * x - 3);
      g = 1.5 - Math.abs(4 * x - 2);
      b = 1.5 - Math.abs(4 * x - 1);
    } else if (name === 'turbo') {
      // Polynomial approximation of Google's Turbo (Mikhailov 2019): close in the middle, but off by up to ~0.09
      // at the very ends (x = 1 gives rgb(144, 13, 0) where the published table has rgb(122, 4, 3)).
      r = 0.13572138 + x * (4.6153926 + x * (-42.66032258 + x * (132.13108234 + x * (-152.94239396 + x * 59.28637943))));
      g = 0.09140261 + x * (2.19418839 + x * (4.84296658 + x * (-14.18503333 + x * (4.27729857 + x * 2.82956604))));
      b = 0.1066733 + x * (12.64194608 + x * (-60.58204836 + x * (110.36276771 + x * (-89.90310912 + x * 27.34824973))));
    } else {
      r = g = b = x;
    }
    lut[i * 3] = to8(r);
    lut[i * 3 + 1] = to8(g);
    lut[i * 3 + 2] = to8(b);
  }
  return lut;
}

/** Smallest and largest finite value of the map ({0, 0} when it has none). */
export function heatmapRange(h: Heatmap): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < h.data.length; i++) {
    const v = h.data[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return Number.isFinite(min) ? { min, max } : { min: 0, max: 0 };
}

export interface HeatmapStyle {
  lut: Uint8Array;
  /** Value mapped to the first LUT entry; values below are clamped. */
  min: number;
  /** Value mapped to the last LUT entry. */
  max: number;
  /** 0..1 */
  opacity: number;
  /** When set, values below it are transparent (show only what would be flagged). */
  hideBelow?: number;
}

/** RGBA (ImageData layout) of the whole map at its own resolution; NaN is transparent. */
export function fillHeatmapRGBA(h: Heatmap, style: HeatmapStyle, out = new Uint8ClampedArray(h.width * h.height * 4)): Uint8ClampedArray {
  const n = h.width * h.height;
  if (out.length < n * 4) throw new Error(`Heatmap buffer holds ${out.length} bytes but a ${h.width} x ${h.height} map needs ${n * 4}.`);
  const alpha = Math.round(Math.min(1, Math.max(0, style.opacity)) * 255);
  const span = style.max > style.min ? style.max - style.min : 1;
  const hide = style.hideBelow ?? -Infinity;
  for (let i = 0; i < n; i++) {
    const v = h.data[i];
    const o = i * 4;
    if (!(v >= hide) || Number.isNaN(v)) {
      out[o] = out[o + 1] = out[o + 2] = out[o + 3] = 0;
      continue;
    }
    const k = Math.round(Math.min(1, Math.max(0, (v - style.min) / span)) * 255) * 3;
    out[o] = style.lut[k];
    out[o + 1] = style.lut[k + 1];
    out[o + 2] = style.lut[k + 2];
    out[o + 3] = alpha;
  }
  return out;
}

/**
 * The outline of a selection (1 = selected): selected pixels with a 4-neighbour that is not selected, or on the
 * image border. Drawn over the image it is the predicted-mask contour at the current threshold.
 */
export function selectionOutline(sel: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (sel[i] === 0) continue;
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1 || !sel[i - 1] || !sel[i + 1] || !sel[i - width] || !sel[i + width]) out[i] = 1;
    }
  }
  return out;
}
