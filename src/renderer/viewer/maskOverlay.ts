/**
 * Turns a ground-truth mask (white defect on black, as in MVTec / magnetic-tile PNGs) into a canvas that can be
 * drawn over the image. Preferred: a translucent colour where the mask is set and full transparency elsewhere,
 * built from the pixels. If the pixels cannot be read (a cross-origin asset without CORS taints the canvas), the
 * fallback is the mask tinted with the colour on black, meant to be drawn with 'screen' blending so black adds
 * nothing.
 */
export interface MaskOverlay {
  canvas: HTMLCanvasElement;
  /** Konva globalCompositeOperation to draw it with. */
  blend: 'source-over' | 'screen';
  /** Number of mask pixels that are set, or null when the pixels could not be read. */
  setPixels: number | null;
}

export const MASK_RGB: [number, number, number] = [255, 48, 64];
export const MASK_ALPHA = 0.55;

export function maskOverlay(mask: HTMLImageElement): MaskOverlay {
  const canvas = document.createElement('canvas');
  canvas.width = mask.naturalWidth;
  canvas.height = mask.naturalHeight;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('This browser cannot create a 2D canvas for the mask overlay.');
  ctx.drawImage(mask, 0, 0);
  try {
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const px = data.data;
    const alpha = Math.round(MASK_ALPHA * 255);
    let set = 0;
    for (let i = 0; i < px.length; i += 4) {
      // Any non-zero channel counts: masks are 0/255 grey, but some tools write 0/1 or palette colours.
      const on = px[i] > 0 || px[i + 1] > 0 || px[i + 2] > 0;
      px[i] = MASK_RGB[0];
      px[i + 1] = MASK_RGB[1];
      px[i + 2] = MASK_RGB[2];
      px[i + 3] = on ? alpha : 0;
      if (on) set++;
    }
    ctx.putImageData(data, 0, 0);
    return { canvas, blend: 'source-over', setPixels: set };
  } catch {
    ctx.globalCompositeOperation = 'multiply';
    ctx.fillStyle = `rgb(${MASK_RGB.join(',')})`;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    return { canvas, blend: 'screen', setPixels: null };
  }
}
