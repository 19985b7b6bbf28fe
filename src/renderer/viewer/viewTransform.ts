/**
 * Pure geometry of the image viewer. A view maps image pixels to viewport pixels:
 *   screen = image * scale + (x, y)
 * Every function returns a new view; nothing here knows about Konva, React or the DOM.
 */
export interface Size {
  width: number;
  height: number;
}
export interface Point {
  x: number;
  y: number;
}
export interface View {
  scale: number;
  x: number;
  y: number;
}

export const MIN_SCALE = 0.02;
export const MAX_SCALE = 64;
/** Pixels left free around an image fitted to the viewport, so its border stays visible. */
export const FIT_MARGIN = 16;

export function clampScale(scale: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}

/** Whole image visible and centred; small images are enlarged to fill the viewport, like 'fit' in imaging tools. */
export function fitView(image: Size, viewport: Size, margin = FIT_MARGIN): View {
  if (image.width <= 0 || image.height <= 0 || viewport.width <= 0 || viewport.height <= 0) return { scale: 1, x: 0, y: 0 };
  const availableW = Math.max(1, viewport.width - 2 * margin);
  const availableH = Math.max(1, viewport.height - 2 * margin);
  const scale = clampScale(Math.min(availableW / image.width, availableH / image.height));
  return centred(image, viewport, scale);
}

/** 1:1 pixels, keeping the image point that is under the viewport centre where it is. */
export function actualSizeView(view: View, viewport: Size): View {
  return zoomAt(view, 1 / view.scale, { x: viewport.width / 2, y: viewport.height / 2 });
}

/** Multiplies the scale by `factor`, keeping the image point under `anchor` (viewport pixels) fixed. */
export function zoomAt(view: View, factor: number, anchor: Point): View {
  const scale = clampScale(view.scale * factor);
  const applied = scale / view.scale;
  return {
    scale,
    x: anchor.x - (anchor.x - view.x) * applied,
    y: anchor.y - (anchor.y - view.y) * applied,
  };
}

export function panBy(view: View, dx: number, dy: number): View {
  return { scale: view.scale, x: view.x + dx, y: view.y + dy };
}

/** Wheel delta (pixels, as browsers report for mice and trackpads) to a zoom factor; one notch ≈ 1.2x. */
export function wheelZoomFactor(deltaY: number): number {
  const clamped = Math.max(-300, Math.min(300, deltaY));
  return Math.exp(-clamped * 0.0018);
}

export function imageToScreen(view: View, p: Point): Point {
  return { x: p.x * view.scale + view.x, y: p.y * view.scale + view.y };
}

export function screenToImage(view: View, p: Point): Point {
  return { x: (p.x - view.x) / view.scale, y: (p.y - view.y) / view.scale };
}

function centred(image: Size, viewport: Size, scale: number): View {
  return { scale, x: (viewport.width - image.width * scale) / 2, y: (viewport.height - image.height * scale) / 2 };
}
