/**
 * The Review screen's overlay: the anomaly map coloured by a LUT (editor/render/heatmapOverlay.ts) with the
 * predicted-mask contour at the current threshold on top, composed into one canvas that the Konva viewer scales
 * to the image. The colours are computed at the map's own (preview) resolution and scaled by drawImage; the
 * contour is traced on a bilinear upsample (editor/raster/heatmap.ts thresholdHeatmap) at up to twice that, so
 * it stays smooth without paying for the image's millions of pixels on every slider move. Buffers are reused.
 */
import { colormapLUT, fillHeatmapRGBA, selectionOutline, type ColormapName } from '../editor/render/heatmapOverlay.js';
import { thresholdHeatmap } from '../editor/raster/heatmap.js';
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
/** Contour grid relative to the map grid (capped at the image size). */
const CONTOUR_UPSAMPLE = 2;

function canvas2d(width: number, height: number): { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D } {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('This browser cannot create a 2D canvas for the heatmap overlay.');
  return { canvas, ctx };
}

export class HeatmapCanvas {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly heat: { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D; image: ImageData };
  private readonly contour: { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D; image: ImageData; width: number; height: number };
  private lutName: ColormapName | null = null;
  private lut: Uint8Array = new Uint8Array(0);
  /** Contour pixels (on the contour grid) at the last threshold: tests and the status line read it. */
  contourPixels = 0;

  constructor(
    readonly map: { values: Float32Array; width: number; height: number },
    image: { width: number; height: number },
  ) {
    const cw = Math.max(map.width, Math.min(image.width, map.width * CONTOUR_UPSAMPLE));
    const ch = Math.max(map.height, Math.min(image.height, map.height * CONTOUR_UPSAMPLE));
    ({ canvas: this.canvas, ctx: this.ctx } = canvas2d(cw, ch));
    const heat = canvas2d(map.width, map.height);
    this.heat = { ...heat, image: heat.ctx.createImageData(map.width, map.height) };
    const contour = canvas2d(cw, ch);
    this.contour = { ...contour, image: contour.ctx.createImageData(cw, ch), width: cw, height: ch };
  }

  /** Redraws for a style; returns a fresh MaskOverlay handle so the viewer knows to redraw. */
  draw(style: OverlayStyle): MaskOverlay {
    const { values, width, height } = this.map;
    const { width: cw, height: ch } = this.contour;
    this.ctx.clearRect(0, 0, cw, ch);
    if (style.showHeatmap) {
      if (this.lutName !== style.colormap) {
        this.lut = colormapLUT(style.colormap);
        this.lutName = style.colormap;
      }
      fillHeatmapRGBA({ data: values, width, height }, { lut: this.lut, min: 0, max: style.max, opacity: style.opacity }, this.heat.image.data);
      this.heat.ctx.putImageData(this.heat.image, 0, 0);
      this.ctx.imageSmoothingEnabled = true;
      this.ctx.drawImage(this.heat.canvas, 0, 0, cw, ch);
    }
    this.contourPixels = 0;
    if (style.showContour) {
      const sel = thresholdHeatmap({ data: values, width, height }, cw, ch, { threshold: style.threshold });
      const outline = selectionOutline(sel, cw, ch);
      const px = this.contour.image.data;
      px.fill(0);
      for (let i = 0; i < outline.length; i++) {
        if (!outline[i]) continue;
        const o = i * 4;
        px[o] = CONTOUR_RGB[0];
        px[o + 1] = CONTOUR_RGB[1];
        px[o + 2] = CONTOUR_RGB[2];
        px[o + 3] = 255;
        this.contourPixels++;
      }
      this.contour.ctx.putImageData(this.contour.image, 0, 0);
      this.ctx.drawImage(this.contour.canvas, 0, 0);
    }
    return { canvas: this.canvas, blend: 'source-over', setPixels: this.contourPixels };
  }
}
