/**
 * The Review screen's overlay: the anomaly map coloured by a LUT (editor/render/heatmapOverlay.ts) with the
 * predicted-mask contour at the current threshold painted on top, in one canvas at the map's resolution that
 * the Konva viewer scales to the image. One canvas and one ImageData are reused for every threshold or
 * opacity change, so dragging the slider allocates nothing.
 */
import { colormapLUT, fillHeatmapRGBA, selectionOutline, type ColormapName } from '../editor/render/heatmapOverlay.js';
import type { MaskOverlay } from '../viewer/maskOverlay.js';

export interface OverlayStyle {
  colormap: ColormapName;
  /** 0..1 */
  opacity: number;
  /** Colour range: [0, max] (the run's mapMaxValue, so the threshold sits mid-scale and images compare). */
  max: number;
  threshold: number;
  showHeatmap: boolean;
  showContour: boolean;
}

export const CONTOUR_RGB: [number, number, number] = [255, 255, 255];

export class HeatmapCanvas {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private image: ImageData;
  private sel: Uint8Array;
  private lutName: ColormapName | null = null;
  private lut: Uint8Array = new Uint8Array(0);
  /** Contour pixels at the last threshold (tests and the status line). */
  contourPixels = 0;

  constructor(readonly map: { values: Float32Array; width: number; height: number }) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = map.width;
    this.canvas.height = map.height;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) throw new Error('This browser cannot create a 2D canvas for the heatmap overlay.');
    this.ctx = ctx;
    this.image = ctx.createImageData(map.width, map.height);
    this.sel = new Uint8Array(map.width * map.height);
  }

  /** Redraws the canvas for a style; returns a fresh MaskOverlay handle so the viewer knows to redraw. */
  draw(style: OverlayStyle): MaskOverlay {
    const { values, width, height } = this.map;
    const px = this.image.data;
    if (style.showHeatmap) {
      if (this.lutName !== style.colormap) {
        this.lut = colormapLUT(style.colormap);
        this.lutName = style.colormap;
      }
      fillHeatmapRGBA({ data: values, width, height }, { lut: this.lut, min: 0, max: style.max, opacity: style.opacity }, px);
    } else px.fill(0);
    this.contourPixels = 0;
    if (style.showContour) {
      const t = style.threshold;
      for (let i = 0; i < values.length; i++) this.sel[i] = values[i] >= t ? 1 : 0;
      const outline = selectionOutline(this.sel, width, height);
      for (let i = 0; i < outline.length; i++) {
        if (!outline[i]) continue;
        const o = i * 4;
        px[o] = CONTOUR_RGB[0];
        px[o + 1] = CONTOUR_RGB[1];
        px[o + 2] = CONTOUR_RGB[2];
        px[o + 3] = 255;
        this.contourPixels++;
      }
    }
    this.ctx.putImageData(this.image, 0, 0);
    return { canvas: this.canvas, blend: 'source-over', setPixels: this.contourPixels };
  }
}
