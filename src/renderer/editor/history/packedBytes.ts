/**
 * Compact storage for the before/after bytes of a history patch. Mask patches are mostly long runs of one class,
 * so run-length encoding shrinks them 10-1000x; noisy patches (a thresholded heatmap) stay raw, so a patch never
 * costs more than its raw size plus one tag.
 *
 * RLE format: repeated (value byte, run length as unsigned LEB128 varint).
 */
export interface PackedBytes {
  readonly kind: 'raw' | 'rle';
  /** Number of bytes when unpacked. */
  readonly length: number;
  readonly data: Uint8Array;
}

export function packBytes(bytes: Uint8Array): PackedBytes {
  const rle = encodeRle(bytes, bytes.length);
  if (rle) return { kind: 'rle', length: bytes.length, data: rle };
  return { kind: 'raw', length: bytes.length, data: bytes.slice() };
}

export function unpackBytes(p: PackedBytes): Uint8Array {
  if (p.kind === 'raw') return p.data;
  const out = new Uint8Array(p.length);
  forEachRun(p, (value, start, length) => out.fill(value, start, start + length));
  return out;
}

/** Calls `fn(value, start, length)` for each run of an RLE patch, in order. */
export function forEachRun(p: PackedBytes, fn: (value: number, start: number, length: number) => void): void {
  if (p.kind !== 'rle') throw new Error('forEachRun needs an RLE patch.');
  const d = p.data;
  let o = 0;
  let i = 0;
  while (i < d.length) {
    const value = d[i++];
    let run = 0;
    let shift = 0;
    for (;;) {
      const b = d[i++];
      run += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
      shift += 7;
    }
    fn(value, o, run);
    o += run;
  }
  if (o !== p.length) throw new Error(`Corrupt RLE patch: decoded ${o} bytes, expected ${p.length}.`);
}

/** RLE bytes, or null as soon as the encoding would be no smaller than `limit`. */
function encodeRle(bytes: Uint8Array, limit: number): Uint8Array | null {
  // Written into a scratch buffer of `limit` bytes: an encoding that does not fit is not worth keeping.
  const out = new Uint8Array(limit);
  let o = 0;
  let i = 0;
  while (i < bytes.length) {
    const value = bytes[i];
    let j = i + 1;
    while (j < bytes.length && bytes[j] === value) j++;
    let run = j - i;
    // value byte + up to 5 varint bytes (runs < 2^35)
    if (o + 6 > limit) return null;
    out[o++] = value;
    while (run >= 0x80) {
      out[o++] = (run & 0x7f) | 0x80;
      run = Math.floor(run / 0x80);
    }
    out[o++] = run;
    i = j;
  }
  return o < limit ? out.slice(0, o) : null;
}
