import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/main/engine/rng.js';
import { addNoise, boxBlur, corrupt, corruptSeeded, cutPaste, inPaint, localShuffle, outPaint } from '../../../../src/main/models/core/corrupt.js';

const S = 32;
function gradientImage(): Float32Array {
  const img = new Float32Array(3 * S * S);
  for (let c = 0; c < 3; c++) for (let i = 0; i < S * S; i++) img[c * S * S + i] = ((i % S) + Math.floor(i / S) + c * 5) / (2 * S + 10);
  return img;
}
const diffCount = (a: Float32Array, b: Float32Array) => a.reduce((n, v, i) => n + (v !== b[i] ? 1 : 0), 0);

describe('CoRe restorative corruptions', () => {
  it('are deterministic given a seed and differ between seeds', () => {
    for (const seed of [0, 1, 7, 12345]) {
      const a = gradientImage();
      const b = gradientImage();
      const ka = corruptSeeded(a, S, seed);
      const kb = corruptSeeded(b, S, seed);
      expect(ka).toEqual(kb);
      expect(ka.length).toBeGreaterThan(0);
      expect(diffCount(a, b)).toBe(0);
      expect(diffCount(a, gradientImage())).toBeGreaterThan(0);
    }
    const x = gradientImage();
    const y = gradientImage();
    corruptSeeded(x, S, 1);
    corruptSeeded(y, S, 2);
    expect(diffCount(x, y)).toBeGreaterThan(0);
  });

  it('over many seeds use every kind of corruption', () => {
    const seen = new Set<string>();
    for (let s = 0; s < 60; s++) for (const k of corrupt(gradientImage(), S, new Rng(s))) seen.add(k);
    expect([...seen].sort()).toEqual(['blur', 'cutpaste', 'inpaint', 'noise', 'outpaint', 'shuffle']);
  });

  it('each corruption does what it says', () => {
    const plain = gradientImage();
    const noisy = gradientImage();
    addNoise(noisy, new Rng(3), 0.05);
    expect(diffCount(plain, noisy)).toBeGreaterThan(plain.length * 0.9);
    expect(Math.min(...noisy)).toBeGreaterThanOrEqual(0);

    // Blur keeps a linear ramp in the interior, and smooths a single bright pixel.
    const spike = new Float32Array(3 * S * S);
    spike[10 * S + 10] = 1;
    boxBlur(spike, S, 1);
    expect(spike[10 * S + 10]).toBeCloseTo(1 / 9, 5);
    expect(spike[11 * S + 11]).toBeCloseTo(1 / 9, 5);

    // Shuffling permutes values: the multiset of each channel is unchanged.
    const sh = gradientImage();
    localShuffle(sh, S, new Rng(4), 6, 4);
    expect(diffCount(plain, sh)).toBeGreaterThan(0);
    for (let c = 0; c < 3; c++) {
      const a = Array.from(plain.subarray(c * S * S, (c + 1) * S * S)).sort();
      const b = Array.from(sh.subarray(c * S * S, (c + 1) * S * S)).sort();
      expect(b).toEqual(a);
    }

    // Cut-paste copies existing values into a box elsewhere: a minority of pixels change, every new value already
    // occurred in the same channel.
    const cp = gradientImage();
    cutPaste(cp, S, new Rng(6));
    const cpFrac = diffCount(plain, cp) / plain.length;
    expect(cpFrac).toBeGreaterThan(0);
    expect(cpFrac).toBeLessThan(0.1);
    for (let c = 0; c < 3; c++) {
      const before = new Set(plain.subarray(c * S * S, (c + 1) * S * S));
      for (const v of cp.subarray(c * S * S, (c + 1) * S * S)) expect(before.has(v)).toBe(true);
    }

    // In-painting changes a minority of pixels; out-painting a majority.
    const inp = gradientImage();
    inPaint(inp, S, new Rng(5), 1);
    const out = gradientImage();
    outPaint(out, S, new Rng(5));
    const inFrac = diffCount(plain, inp) / plain.length;
    const outFrac = diffCount(plain, out) / plain.length;
    expect(inFrac).toBeGreaterThan(0.01);
    expect(inFrac).toBeLessThan(0.1);
    expect(outFrac).toBeGreaterThan(0.45);
  });
});
