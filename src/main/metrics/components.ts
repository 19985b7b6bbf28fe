/**
 * Connected components of a binary mask (8-connectivity, as scipy.ndimage.label with a 3x3 structure, which the
 * MVTec AD PRO reference uses). Two passes with union-find over a label image: linear time, no recursion, so a
 * 4k mask with one huge region cannot overflow the stack.
 */
export interface Components {
  /** Per pixel: 0 = background, 1..count = region id. */
  labels: Int32Array;
  count: number;
  /** sizes[k] = pixel count of region k (index 0 unused). */
  sizes: Int32Array;
}

export function connectedComponents(mask: ArrayLike<number>, width: number, height: number): Components {
  const labels = new Int32Array(width * height);
  const parent: number[] = [0];
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  const union = (a: number, b: number): number => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return ra;
    const lo = Math.min(ra, rb);
    parent[Math.max(ra, rb)] = lo;
    return lo;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!mask[i]) continue;
      let l = 0;
      // Already-visited neighbours: W, NW, N, NE.
      const nb = [
        x > 0 ? labels[i - 1] : 0,
        x > 0 && y > 0 ? labels[i - width - 1] : 0,
        y > 0 ? labels[i - width] : 0,
        x + 1 < width && y > 0 ? labels[i - width + 1] : 0,
      ];
      for (const n of nb) {
        if (n === 0) continue;
        l = l === 0 ? find(n) : union(l, n);
      }
      if (l === 0) {
        l = parent.length;
        parent.push(l);
      }
      labels[i] = l;
    }
  }
  // Second pass: compact root ids to 1..count.
  const compact = new Int32Array(parent.length);
  let count = 0;
  for (let k = 1; k < parent.length; k++) {
    const r = find(k);
    if (compact[r] === 0) compact[r] = ++count;
    compact[k] = compact[r];
  }
  const sizes = new Int32Array(count + 1);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0) {
      labels[i] = compact[labels[i]];
      sizes[labels[i]]++;
    }
  }
  return { labels, count, sizes };
}
