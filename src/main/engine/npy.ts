/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0), the exchange format of the `grad` CLI and of the PyTorch
 * parity fixtures. Only what tensors need: little-endian (or byte-order-free) numeric dtypes, C order.
 *
 * Layout: magic "\x93NUMPY", major, minor, header length (uint16 for v1, uint32 for v2/3), an ASCII Python dict
 * literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces to a 64-byte boundary
 * and ending in '\n', then the raw data.
 */
import { StudioError } from '../../shared/errors.js';
import type { DType, TypedArray } from './onnx/proto.js';

export interface NpyArray {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

const DESCR_TO_DTYPE: Record<string, DType> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '<i8': 'int64',
  '<i4': 'int32',
  '|u1': 'uint8',
  '<u1': 'uint8',
  '|i1': 'int8',
  '<i1': 'int8',
  '|b1': 'bool',
  '<b1': 'bool',
  '<f2': 'float16',
};
const DTYPE_TO_DESCR: Record<DType, string> = {
  float32: '<f4',
  float64: '<f8',
  int64: '<i8',
  int32: '<i4',
  uint8: '|u1',
  int8: '|i1',
  bool: '|b1',
  float16: '<f2',
};
const BYTES: Record<DType, number> = { float32: 4, float64: 8, int64: 8, int32: 4, uint8: 1, int8: 1, bool: 1, float16: 2 };
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function bad(source: string, why: string): StudioError {
  return new StudioError('UNREADABLE', `${source} is not a readable .npy file: ${why}. Save it with numpy.save() (C order, little-endian).`);
}

/** Parses the header dict literal; a tiny grammar on purpose (no eval). */
function parseHeader(text: string, source: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw bad(source, `header ${JSON.stringify(text.trim())} lacks descr, fortran_order or shape`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(n) || n < 0) throw bad(source, `shape entry "${s}" is not a non-negative integer`);
      return n;
    });
  return { descr, fortran: fortran === 'True', shape };
}

export function parseNpy(bytes: Uint8Array, source = 'npy'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) throw bad(source, 'the magic string \\x93NUMPY is missing');
  const major = bytes[6];
  if (major < 1 || major > 3) throw bad(source, `format version ${major}.${bytes[7]} is unknown`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) throw bad(source, 'the header is longer than the file');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  const { descr, fortran, shape } = parseHeader(header, source);
  if (fortran) throw bad(source, 'Fortran order is not supported (use numpy.ascontiguousarray before saving)');
  const dtype = DESCR_TO_DTYPE[descr];
  if (!dtype) throw bad(source, `dtype '${descr}' is not supported (use float32, float64, int64, int32, uint8 or bool, little-endian)`);
  const count = shape.reduce((a, b) => a * b, 1);
  const byteLength = count * BYTES[dtype];
  if (bytes.length - dataStart < byteLength) {
    throw bad(source, `shape (${shape.join(', ')}) needs ${byteLength} data bytes but the file has ${bytes.length - dataStart}`);
  }
  // Copy into a fresh aligned buffer: the data offset is only 16-byte aligned relative to the file, not the heap.
  // (new Uint8Array(view) copies; Buffer.prototype.slice would share Node's pooled memory.)
  const buf = new Uint8Array(bytes.subarray(dataStart, dataStart + byteLength)).buffer;
  const data: TypedArray = (() => {
    switch (dtype) {
      case 'float32': return new Float32Array(buf);
      case 'float64': return new Float64Array(buf);
      case 'int64': return new BigInt64Array(buf);
      case 'int32': return new Int32Array(buf);
      case 'int8': return new Int8Array(buf);
      case 'float16': return new Uint16Array(buf);
      case 'uint8':
      case 'bool': return new Uint8Array(buf);
    }
  })();
  return { dtype, shape, data };
}

export function serializeNpy(arr: NpyArray): Uint8Array {
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (arr.data.length !== count) {
    throw new StudioError('BAD_REQUEST', `Array of ${arr.data.length} values does not match shape (${arr.shape.join(', ')}).`);
  }
  const shapeText = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let header = `{'descr': '${DTYPE_TO_DESCR[arr.dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + arr.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength), 10 + header.length);
  return out;
}
