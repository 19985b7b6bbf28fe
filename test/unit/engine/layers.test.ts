import { describe, expect, it } from 'vitest';
import { tensorToArray } from '../../../src/main/engine/onnx/proto.js';
import { Rng } from '../../../src/main/engine/rng.js';
import { resnet18, smallUnet } from '../../../src/main/engine/zoo/index.js';

function paramCount(z: ReturnType<typeof resnet18>): number {
  const inits = new Map(z.model.graph!.initializer!.map((t) => [t.name!, t]));
  return z.params.reduce((a, p) => a + tensorToArray(inits.get(p)!).data.length, 0);
}

describe('seeded Rng', () => {
  it('repeats for a seed and differs across seeds', () => {
    expect(Array.from(new Rng(42).normals(5))).toEqual(Array.from(new Rng(42).normals(5)));
    expect(new Rng(1).next()).not.toBe(new Rng(2).next());
  });
  it('draws standard normals (mean ~0, std ~1 over 20k draws)', () => {
    const v = new Rng(7).normals(20_000);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(std - 1)).toBeLessThan(0.03);
  });
});

describe('zoo networks', () => {
  it('resnet18 has torchvision resnet18\'s parameter count for 10 classes (11,181,642)', () => {
    expect(paramCount(resnet18({ batch: 1, size: 32, classes: 10 }))).toBe(11_181_642);
  });
  it('smallUnet has 484,003 parameters', () => {
    expect(paramCount(smallUnet({ batch: 1, size: 32 }))).toBe(484_003);
  });
  it('He-initialises conv weights (std sqrt(2 / fan_in)) from the seed', () => {
    const z = resnet18({ batch: 1, size: 32, seed: 3 });
    const w = z.model.graph!.initializer!.find((t) => t.name === 'layer4.1.conv2.weight')!;
    const d = tensorToArray(w).data as Float32Array;
    const std = Math.sqrt(d.reduce((a, b) => a + b * b, 0) / d.length);
    expect(std).toBeCloseTo(Math.sqrt(2 / (512 * 9)), 3);
    const again = resnet18({ batch: 1, size: 32, seed: 3 }).model.graph!.initializer!.find((t) => t.name === 'layer4.1.conv2.weight')!;
    expect(tensorToArray(again).data.slice(0, 8)).toEqual(d.slice(0, 8));
  });
});
