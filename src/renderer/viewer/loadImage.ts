/**
 * Loads and decodes an image; rejects with a sentence naming the file.
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
