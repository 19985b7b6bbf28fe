import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/main/engine/rng.js';
import { pasteAnomaly, type AnomalyKind } from '../../../src/main/models/synthAnomaly.js';

const S = 48;
/** A textured crop in unit space (mean ≈ 0.5) and a different one as the texture source. */
function crop(phase: number): Float32Array {
  const img = new Float32Array(3 * S * S);
  for (let c = 0; c < 3; c++) for (let i = 0; i < S * S; i++) img[c * S * S + i] = 0.5 + 0.15 * Math.sin((i % S) * 0.7 + phase) * Math.cos(Math.floor(i / S) * 0.4 + c);
  return img;
}

describe('synthetic anomalies (pasteAnomaly)', () => {
  it('are deterministic under a seed, non-empty, and change only pixels inside the mask', () => {
    const kinds = new Set<AnomalyKind>();
    for (let seed = 0; seed < 80; seed++) {
      const a = crop(0);
      const b = crop(0);
      const ra = pasteAnomaly(a, crop(2), S, new Rng(seed));
      const rb = pasteAnomaly(b, crop(2), S, new Rng(seed));
      expect(rb.kind).toBe(ra.kind);
      expect(Array.from(rb.mask)).toEqual(Array.from(ra.mask));
      expect(Array.from(b)).toEqual(Array.from(a));
      kinds.add(ra.kind);
      const area = ra.mask.reduce((s, v) => s + v, 0);
      expect(area).toBeGreaterThan(0);
      expect(area).toBeLessThan(0.5 * S * S);
      const clean = crop(0);
      let changedInside = 0;
      let changedOutside = 0;
      for (let c = 0; c < 3; c++) {
        for (let i = 0; i < S * S; i++) {
          if (a[c * S * S + i] === clean[c * S * S + i]) continue;
          if (ra.mask[i]) changedInside++;
          else changedOutside++;
        }
      }
      expect(changedOutside).toBe(0);
      // Most of the region differs (a blend can leave the odd pixel where both textures agree).
      expect(changedInside).toBeGreaterThan(0.5 * 3 * area);
    }
    expect([...kinds].sort()).toEqual(['brightness', 'line', 'noise', 'spot', 'texture']);
  });

  it('differ between seeds', () => {
    const a = pasteAnomaly(crop(0), crop(2), S, new Rng(1)).mask;
    const b = pasteAnomaly(crop(0), crop(2), S, new Rng(2)).mask;
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it('paste into a one-channel picture what they paste into the first channel of three', () => {
    for (let seed = 0; seed < 20; seed++) {
      const rgb = crop(0);
      const gray = rgb.slice(0, S * S);
      const r3 = pasteAnomaly(rgb, crop(2), S, new Rng(seed));
      const r1 = pasteAnomaly(gray, crop(2).slice(0, S * S), S, new Rng(seed), 1);
      expect(r1.kind).toBe(r3.kind);
      expect(Array.from(r1.mask)).toEqual(Array.from(r3.mask));
      expect(Array.from(gray)).toEqual(Array.from(rgb.subarray(0, S * S)));
    }
  });
});
