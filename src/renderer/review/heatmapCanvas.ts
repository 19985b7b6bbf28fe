/**
 * The Review screen's overlay: the anomaly map coloured by a LUT (editor/render/heatmapOverlay.ts) with the
 * predicted-mask contour at the current threshold on top, composed into one canvas that the Konva viewer scales
 * to the image. The colours are computed at the map's own (preview) resolution and scaled by drawImage; the
 * contour is traced on a bilinear upsample (editor/raster/heatmap.ts thresholdHeatmap) at up to twice that, so
 * it stays smooth without paying for the image's millions of pixels on every slider move. Buffers are reused,
 * also across images of the same size (`setMap`): selecting an image then allocates nothing, which matters because
 * fresh canvases and ImageData per selection drove the renderer into ~100 ms major GCs (bench/review.ts profile).
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

/** Equal keys = the same pixels (what a redraw compares against `drawnStyle`). */
export const styleKey = (st: OverlayStyle): string => JSON.stringify(st);

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

type Surface = { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D; image: ImageData; width: number; height: number };

function surface(width: number, height: number, old: Surface | null): Surface {
  if (old && old.width === width && old.height === height) return old;
  const { canvas, ctx } = canvas2d(width, height);
  return { canvas, ctx, image: ctx.createImageData(width, height), width, height };
}

export class HeatmapCanvas {
  private out!: { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D; width: number; height: number };
  private heat: Surface | null = null;
  private contour: Surface | null = null;
  private lutName: ColormapName | null = null;
  private lut: Uint8Array = new Uint8Array(0);
  /** Contour pixels (on the contour grid) at the last threshold: tests and the status line read it. */
  contourPixels = 0;
  /** styleKey of the last draw ('' after a new map), so a caller can skip a redraw that would change nothing. */
  drawnStyle = '';

  constructor(
    public map: { values: Float32Array; width: number; height: number },
    image: { width: number; height: number },
  ) {
    this.setMap(map, image);
  }

  get canvas(): HTMLCanvasElement {
    return this.out.canvas;
  }

  /** Shows another map; canvases and buffers are kept when the sizes match the previous one. */
  setMap(map: { values: Float32Array; width: number; height: number }, image: { width: number; height: number }): void {
    this.map = map;
    this.drawnStyle = '';
    const cw = Math.max(map.width, Math.min(image.width, map.width * CONTOUR_UPSAMPLE));
    const ch = Math.max(map.height, Math.min(image.height, map.height * CONTOUR_UPSAMPLE));
    if (!this.out || this.out.width !== cw || this.out.height !== ch) this.out = { ...canvas2d(cw, ch), width: cw, height: ch };
    this.heat = surface(map.width, map.height, this.heat);
    this.contour = surface(cw, ch, this.contour);
  }

  /** Redraws for a style; returns a fresh MaskOverlay handle so the viewer knows to redraw. */
  draw(style: OverlayStyle): MaskOverlay {
    this.drawnStyle = styleKey(style);
    const { values, width, height } = this.map;
    const heat = this.heat!;
    const contour = this.contour!;
    const { width: cw, height: ch } = contour;
    const { ctx } = this.out;
    ctx.clearRect(0, 0, cw, ch);
    if (style.showHeatmap) {
      if (this.lutName !== style.colormap) {
        this.lut = colormapLUT(style.colormap);
        this.lutName = style.colormap;
      }
      fillHeatmapRGBA({ data: values, width, height }, { lut: this.lut, min: 0, max: style.max, opacity: style.opacity }, heat.image.data);
      heat.ctx.putImageData(heat.image, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(heat.canvas, 0, 0, cw, ch);
    }
    this.contourPixels = 0;
    if (style.showContour) {
      const sel = thresholdHeatmap({ data: values, width, height }, cw, ch, { threshold: style.threshold });
      const outline = selectionOutline(sel, cw, ch);
      // One 32-bit store per pixel (RGBA bytes in memory order; alpha 255 whatever the platform's endianness).
      const px = new Uint32Array(contour.image.data.buffer);
      const white = new Uint32Array(new Uint8Array([CONTOUR_RGB[0], CONTOUR_RGB[1], CONTOUR_RGB[2], 255]).buffer)[0];
      let count = 0;
      for (let i = 0; i < outline.length; i++) {
        if (outline[i]) {
          px[i] = white;
          count++;
        } else px[i] = 0;
      }
      this.contourPixels = count;
      contour.ctx.putImageData(contour.image, 0, 0);
      ctx.drawImage(contour.canvas, 0, 0);
    }
    return { canvas: this.out.canvas, blend: 'source-over', setPixels: this.contourPixels };
  }
}
