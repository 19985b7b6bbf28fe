/**
 * Decoder for the 16-bit grayscale PNGs the review service writes (src/main/models/mapPng.ts). A browser's <img>
 * decodes 16-bit PNGs to 8 bits, which would quantise the map to 256 levels and make the threshold contour
 * step; this reads the full 16 bits with the platform's own inflate (DecompressionStream, in Chromium and
 * Node ≥ 18), so no dependency is needed. Only what mapPng writes is accepted: bit depth 16, colour type 0
 * (grey), no interlace; anything else is refused with a sentence naming the file.
 */
export interface Gray16 {
  width: number;
  height: number;
  /** Row-major samples 0..65535. */
  data: Uint16Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

async function inflate(chunks: Uint8Array[]): Promise<Uint8Array> {
  // zlib stream (PNG IDAT) = DecompressionStream's 'deflate' format.
  const stream = new Blob(chunks as BlobPart[]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export async function decodeGray16Png(bytes: Uint8Array, label = 'anomaly map'): Promise<Gray16> {
  const bad = (why: string) => new Error(`Could not read the ${label}: ${why}.`);
  if (bytes.length < 33 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw bad('it is not a PNG file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  for (let o = 8; o + 8 <= bytes.length; ) {
    const len = view.getUint32(o);
    const type = String.fromCharCode(bytes[o + 4], bytes[o + 5], bytes[o + 6], bytes[o + 7]);
    const body = bytes.subarray(o + 8, o + 8 + len);
    if (body.length !== len) throw bad('the file is truncated');
    if (type === 'IHDR') {
      width = view.getUint32(o + 8);
      height = view.getUint32(o + 12);
      const depth = body[8];
      const colour = body[9];
      const interlace = body[12];
      if (depth !== 16 || colour !== 0) throw bad(`expected a 16-bit grayscale PNG, got bit depth ${depth}, colour type ${colour}`);
      if (interlace !== 0) throw bad('interlaced PNGs are not supported');
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    o += 12 + len;
  }
  if (width === 0 || height === 0) throw bad('the PNG has no IHDR header');
  const raw = await inflate(idat);
  const stride = width * 2;
  if (raw.length < (stride + 1) * height) throw bad(`the image data is short (${raw.length} bytes for ${width} x ${height})`);
  // Unfilter in place, row by row (bpp = 2), then read big-endian samples.
  const rows = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    const up = dst - stride;
    for (let x = 0; x < stride; x++) {
      const v = raw[src + x];
      const a = x >= 2 ? rows[dst + x - 2] : 0;
      const b = y > 0 ? rows[up + x] : 0;
      const c = x >= 2 && y > 0 ? rows[up + x - 2] : 0;
      let out: number;
      switch (filter) {
        case 0: out = v; break;
        case 1: out = v + a; break;
        case 2: out = v + b; break;
        case 3: out = v + ((a + b) >> 1); break;
        case 4: out = v + paeth(a, b, c); break;
        default: throw bad(`row ${y} has unknown filter type ${filter}`);
      }
      rows[dst + x] = out & 255;
    }
  }
  const data = new Uint16Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = (rows[i * 2] << 8) | rows[i * 2 + 1];
  return { width, height, data };
}
