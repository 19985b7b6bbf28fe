/**
 * A deliberately separate .npy reader for the parity tests: the CLI's own writer (src/main/engine/npy.ts) is part
 * of what is under test, so its output is read back by code that shares nothing with it. Handles what the
 * fixtures and the `grad` contract use: format 1.x-3.x, little-endian float32/float64/int64, C order.
 */
export interface NpyTensor {
  descr: string;
  shape: number[];
  data: Float64Array; // every value widened to float64 for comparison
}

export function readNpy(bytes: Uint8Array, source: string): NpyTensor {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new Error(`${source} is not a .npy file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`${source}: unreadable header ${header}`);
  if (fortran === 'True') throw new Error(`${source}: Fortran order`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  const width: Record<string, number> = { '<f4': 4, '<f8': 8, '<i8': 8, '<i4': 4 };
  const w = width[descr];
  if (!w) throw new Error(`${source}: dtype ${descr} not handled by the parity reader`);
  if (bytes.length - offset !== count * w) {
    throw new Error(`${source}: ${bytes.length - offset} data bytes for shape (${shape}) of ${descr}`);
  }
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const p = offset + i * w;
    if (descr === '<f4') data[i] = view.getFloat32(p, true);
    else if (descr === '<f8') data[i] = view.getFloat64(p, true);
    else if (descr === '<i8') data[i] = Number(view.getBigInt64(p, true));
    else data[i] = view.getInt32(p, true);
  }
  return { descr, shape, data };
}

/** Writes float32 or int64 C-order .npy (format 1.0), for inputs the tests generate themselves. */
export function writeNpy(shape: number[], values: ArrayLike<number>, dtype: 'float32' | 'int64' = 'float32'): Uint8Array {
  const descr = dtype === 'float32' ? '<f4' : '<i8';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11, ' ') + '\n';
  const w = dtype === 'float32' ? 4 : 8;
  const out = new Uint8Array(10 + header.length + values.length * w);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const off = 10 + header.length;
  for (let i = 0; i < values.length; i++) {
    if (dtype === 'float32') view.setFloat32(off + i * 4, values[i], true);
    else view.setBigInt64(off + i * 8, BigInt(Math.round(values[i])), true);
  }
  return out;
}

/** The parity tests' error measure: max|got - want| / max(max|want|, 1e-12), over one tensor. */
export function relativeError(got: Float64Array, want: Float64Array): number {
  let maxDiff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (Number.isNaN(d)) return Number.POSITIVE_INFINITY; // a NaN gradient is never close
    maxDiff = Math.max(maxDiff, d);
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return maxDiff / Math.max(scale, 1e-12);
}
