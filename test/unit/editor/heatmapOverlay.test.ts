import { describe, expect, it } from 'vitest';
import { colormapLUT, fillHeatmapRGBA, heatmapRange, selectionOutline, thresholdHeatmap } from '../../../src/renderer/editor/index.js';
import { maskRows, rowsToMask } from './helpers.js';

const rgb = (lut: Uint8Array, i: number) => Array.from(lut.subarray(i * 3, i * 3 + 3));

describe('colour maps', () => {
  it('jet runs dark blue -> green-ish middle -> dark red', () => {
    const jet = colormapLUT('jet');
    expect(rgb(jet, 0)).toEqual([0, 0, 128]);
    expect(rgb(jet, 255)).toEqual([128, 0, 0]);
    // x = 128/255 = 0.50196: g = 1.5 - 0.00784 -> clamped 1 -> 255; r = 0.50784 * 255 = 129.5 -> 130;
    // b = 0.49216 * 255 = 125.5 -> 126
    expect(rgb(jet, 128)).toEqual([130, 255, 126]);
  });

  it('gray is the identity and turbo starts dark and ends dark red', () => {
    expect(rgb(colormapLUT('gray'), 77)).toEqual([77, 77, 77]);
    const turbo = colormapLUT('turbo');
    expect(rgb(turbo, 0).every((v) => v < 64)).toBe(true);
    // the polynomial's value at x = 1, summed coefficients: (0.5659, 0.0505, -0.0255) -> (144, 13, 0)
    expect(rgb(turbo, 255)).toEqual([144, 13, 0]);
  });
});

describe('heatmap RGBA', () => {
  const h = { width: 4, height: 1, data: Float32Array.from([0, 0.5, 1, NaN]) };

  it('maps min..max onto the LUT with the opacity; NaN is transparent', () => {
    expect(heatmapRange(h)).toEqual({ min: 0, max: 1 });
    const out = fillHeatmapRGBA(h, { lut: colormapLUT('gray'), min: 0, max: 1, opacity: 0.5 });
    expect(Array.from(out)).toEqual([0, 0, 0, 128, 128, 128, 128, 128, 255, 255, 255, 128, 0, 0, 0, 0]);
  });

  it('hideBelow makes values under the threshold transparent', () => {
    const out = fillHeatmapRGBA(h, { lut: colormapLUT('gray'), min: 0, max: 1, opacity: 1, hideBelow: 0.5 });
    expect(Array.from(out.subarray(0, 8))).toEqual([0, 0, 0, 0, 128, 128, 128, 255]);
  });
});

describe('selection outline', () => {
  it('keeps the border pixels of each blob', () => {
    const sel = rowsToMask(['.....', '.111.', '.111.', '.111.', '.....']);
    expect(maskRows(selectionOutline(sel, 5, 5), 5, 5)).toEqual(['.....', '.111.', '.1.1.', '.111.', '.....']);
  });

  it('outline of the thresholded map is the predicted contour', () => {
    const map = { width: 3, height: 3, data: Float32Array.from([0.9, 0.9, 0.1, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1]) };
    const sel = thresholdHeatmap(map, 3, 3, { threshold: 0.5 });
    expect(maskRows(selectionOutline(sel, 3, 3), 3, 3)).toEqual(['11.', '11.', '...']);
  });
});
