/** Loads and decodes an image off the main thread's critical path; rejects with a sentence naming the URL's file. */
export function loadImage(url: string, label: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.decoding = 'async';
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
