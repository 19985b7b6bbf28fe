import { describe, expect, it } from 'vitest';
import { parseNpy, serializeNpy } from '../../../src/main/engine/npy.js';

/** Bytes exactly as numpy.save(np.arange(6, dtype='<f4').reshape(2, 3)) writes them (numpy 1.x/2.x, format 1.0). */
function numpyBytes(): Uint8Array {
  const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const header = dict + ' '.repeat(118 - 1 - dict.length) + '\n'; // 10 + 118 = 128
  const out = new Uint8Array(10 + header.length + 24);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length, 0]);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  new Float32Array(out.buffer, 10 + header.length, 6).set([0, 1, 2, 3, 4, 5]);
  return out;
}

describe('npy', () => {
  it('reads a file written by numpy', () => {
    const a = parseNpy(numpyBytes());
    expect(numpyBytes().length).toBe(128 + 24); // numpy pads the header to 64 bytes
    expect(a.dtype).toBe('float32');
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(a.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('writes the same bytes numpy writes', () => {
    const bytes = serializeNpy({ dtype: 'float32', shape: [2, 3], data: Float32Array.from([0, 1, 2, 3, 4, 5]) });
    expect(Array.from(bytes)).toEqual(Array.from(numpyBytes()));
  });

  it.each([
    ['float64', Float64Array.from([1.5, -2])],
    ['int64', BigInt64Array.from([1n, -(2n ** 40n)])],
    ['int32', Int32Array.from([7, -9])],
    ['uint8', Uint8Array.from([0, 255])],
    ['bool', Uint8Array.from([1, 0])],
  ] as const)('round-trips %s', (dtype, data) => {
    const a = parseNpy(serializeNpy({ dtype, shape: [2], data }));
    expect(a.dtype).toBe(dtype);
    expect(a.shape).toEqual([2]);
    expect(Array.from(a.data as ArrayLike<unknown>)).toEqual(Array.from(data as ArrayLike<unknown>));
  });

  it('round-trips scalars (shape ())', () => {
    const a = parseNpy(serializeNpy({ dtype: 'float32', shape: [], data: Float32Array.from([3.25]) }));
    expect(a.shape).toEqual([]);
    expect(a.data[0]).toBe(3.25);
  });

  it('rejects bad files with a sentence naming the source and the fix', () => {
    expect(() => parseNpy(new TextEncoder().encode('not numpy at all'), 'x.npy')).toThrow(/x\.npy is not a readable \.npy file: the magic/);
    const big = numpyBytes();
    big.set(new TextEncoder().encode("'>f4'"), 10 + "{'descr': ".length); // big-endian descr
    expect(() => parseNpy(big, 'b.npy')).toThrow(/dtype '>f4' is not supported/);
    const fortran = numpyBytes();
    fortran.set(new TextEncoder().encode('True, '), 10 + "{'descr': '<f4', 'fortran_order': ".length);
    expect(() => parseNpy(fortran, 'f.npy')).toThrow(/Fortran order/);
    expect(() => parseNpy(numpyBytes().slice(0, 140), 't.npy')).toThrow(/needs 24 data bytes but the file has 12/);
  });
});

describe('npy from Node buffers', () => {
  it('reads a pooled Buffer (non-zero byteOffset) correctly', () => {
    const bytes = serializeNpy({ dtype: 'float32', shape: [2], data: Float32Array.from([5, 6]) });
    const pooled = Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(bytes)]).subarray(3);
    expect(Array.from(parseNpy(pooled).data as Float32Array)).toEqual([5, 6]);
  });
});
