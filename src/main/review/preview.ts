/**
 * Preview maps for drawing: an image-resolution anomaly map box-averaged so its long side is at most `maxSide`.
 * Averaging (not sampling) keeps a small hot spot visible at its true strength spread over its cell.
 */
export function boxDownsample(src: Float32Array, width: number, height: number, maxSide: number): { data: Float32Array; width: number; height: number } {
  const k = Math.max(width, height) / maxSide;
  if (k <= 1) return { data: src, width, height };
  const w = Math.max(1, Math.round(width / k));
  const h = Math.max(1, Math.round(height / k));
  const sum = new Float64Array(w * h);
  const count = new Uint32Array(w * h);
  for (let y = 0; y < height; y++) {
    const oy = Math.min(h - 1, Math.floor((y * h) / height)) * w;
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const o = oy + Math.min(w - 1, Math.floor((x * w) / width));
      sum[o] += src[row + x];
      count[o]++;
    }
  }
  const data = new Float32Array(w * h);
  for (let i = 0; i < data.length; i++) data[i] = count[i] ? sum[i] / count[i] : 0;
  return { data, width: w, height: h };
}
