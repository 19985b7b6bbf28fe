/**
 * Fetches and decodes a picture into an ImageBitmap; rejects with a sentence naming the file. What the viewers draw:
 * a 2D canvas (Konva) drawing an <img> decodes it again, lazily, on the main thread when the frame is flushed (a
 * trace of bench/review.ts showed 77 ms of "Decode Image" inside CanvasRenderingContext2D::FinalizeFrame per
 * selection, even after img.decode()); an ImageBitmap from a Blob is decoded once, off the main thread, and draws
 * without decoding. EXIF orientation is applied, as an <img> would.
 */
export async function loadBitmap(url: string, label: string): Promise<ImageBitmap> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`Could not load ${label}: ${e instanceof Error ? e.message : String(e)}.`);
  }
  if (!res.ok) throw new Error(`Could not load ${label}: the file is missing, unreadable or not an image (HTTP ${res.status}).`);
  try {
    return await createImageBitmap(await res.blob(), { imageOrientation: 'from-image' });
  } catch {
    throw new Error(`Could not load ${label}: the file is missing, unreadable or not an image.`);
  }
}

/**
 * Loads and decodes an image element (for pixels read back through a canvas, e.g. a mask); rejects with a sentence
 * naming the file.
 * `readPixels`: the caller will read the pixels back from a canvas (mask overlay). A cross-origin URL (Electron's
 * studio-asset:// seen from studio-app://app) must then be fetched in CORS mode, or the canvas is tainted; the
 * asset protocol answers with Access-Control-Allow-Origin for the app origin.
 */
export function loadImage(url: string, label: string, opts: { readPixels?: boolean } = {}): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.decoding = 'async';
    if (opts.readPixels && new URL(url, window.location.href).origin !== window.location.origin) img.crossOrigin = 'anonymous';
    img.onload = () => {
      img
        .decode()
        .catch(() => undefined) // onload already means it is usable; decode() only moves decoding off the draw
        .then(() => resolve(img));
    };
    img.onerror = () => reject(new Error(`Could not load ${label}: the file is missing, unreadable or not an image.`));
    img.src = url;
  });
}
