import type { Point } from './rect.js';

/**
 * The view maps image pixels to screen (stage) pixels: `screen = image * scale + offset`.
 * Immutable values; the editor replaces its view on every zoom or pan so subscribers can compare by identity.
 */
export interface ViewState {
  readonly scale: number;
  readonly offsetX: number;
  readonly offsetY: number;
}

export interface ZoomLimits {
  min: number;
  max: number;
}

export const DEFAULT_ZOOM_LIMITS: ZoomLimits = { min: 1 / 64, max: 64 };

export const IDENTITY_VIEW: ViewState = { scale: 1, offsetX: 0, offsetY: 0 };

export function screenToImage(view: ViewState, p: Point): Point {
  return { x: (p.x - view.offsetX) / view.scale, y: (p.y - view.offsetY) / view.scale };
}

export function imageToScreen(view: ViewState, p: Point): Point {
  return { x: p.x * view.scale + view.offsetX, y: p.y * view.scale + view.offsetY };
}

/** Largest scale at which the whole image fits the viewport minus `padding` on each side, centred. */
export function fitView(
  imageW: number,
  imageH: number,
  viewportW: number,
  viewportH: number,
  padding = 0,
  limits: ZoomLimits = DEFAULT_ZOOM_LIMITS,
): ViewState {
  const availW = Math.max(1, viewportW - 2 * padding);
  const availH = Math.max(1, viewportH - 2 * padding);
  const scale = clampScale(Math.min(availW / imageW, availH / imageH), limits);
  return { scale, offsetX: (viewportW - imageW * scale) / 2, offsetY: (viewportH - imageH * scale) / 2 };
}

/** Zooms by `factor` keeping the image point under `anchor` (screen coordinates) where it is. */
export function zoomAt(view: ViewState, anchor: Point, factor: number, limits: ZoomLimits = DEFAULT_ZOOM_LIMITS): ViewState {
  const scale = clampScale(view.scale * factor, limits);
  const imagePoint = screenToImage(view, anchor);
  return { scale, offsetX: anchor.x - imagePoint.x * scale, offsetY: anchor.y - imagePoint.y * scale };
}

export function panBy(view: ViewState, dx: number, dy: number): ViewState {
  return { scale: view.scale, offsetX: view.offsetX + dx, offsetY: view.offsetY + dy };
}

export function clampScale(scale: number, limits: ZoomLimits): number {
  if (!Number.isFinite(scale) || scale <= 0) return limits.min;
  return Math.min(limits.max, Math.max(limits.min, scale));
}
