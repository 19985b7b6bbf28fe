import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../src/main/engine/onnx/graph.js';
import { serializeModel } from '../../../src/main/engine/onnx/proto.js';
import { resolveBackbone } from '../../../src/main/models/backbones/index.js';
import { clampBorder } from '../../../src/main/models/patchcore/anomalyMap.js';
import { patchFeatures } from '../../../src/main/models/patchcore/network.js';
import { aggregateFor, trainParams } from '../../../src/main/models/patchcore/index.js';
import { buildPatchCoreGraph, type PatchCoreParams } from '../../../src/main/models/patchcore/train.js';
import { openSession, ort } from '../../../src/main/models/session.js';

async function runOne(g: GraphBuilder, feeds: Record<string, ort.Tensor>): Promise<ort.Tensor> {
  const { session } = await openSession(serializeModel(g.build()), 'test');
  try {
    return (await session.run(feeds)).out;
  } finally {
    await session.release();
  }
}

/** clampBorder on a [1,1,h,w] grid holding 0..h*w-1 row-major. */
async function clamped(h: number, w: number, cells: number): Promise<number[]> {
  const g = new GraphBuilder('t');
  const p = g.input('p', 'float32', [1, 1, 'h', 'w']);
  g.node('Identity', [clampBorder(g, p, cells)], {}, { outputs: ['out'] });
  g.output('out', 'float32', [1, 1, 'h', 'w']);
  const out = await runOne(g, { p: new ort.Tensor('float32', Float32Array.from({ length: h * w }, (_, i) => i), [1, 1, h, w]) });
  expect(out.dims).toEqual([1, 1, h, w]);
  return Array.from(out.data as Float32Array);
}

describe('PatchCore border band (clampBorder)', () => {
  it('replaces each edge cell by the nearest cell `cells` in from the edge', async () => {
    // 4 x 5 grid, band 1: rows clamp to 1..2, columns to 1..3.
    const expected: number[] = [];
    for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) expected.push(Math.min(Math.max(y, 1), 2) * 5 + Math.min(Math.max(x, 1), 3));
    expect(await clamped(4, 5, 1)).toEqual(expected);
  });
  it('leaves the grid alone with 0 cells and stays valid on a grid narrower than the band', async () => {
    expect(await clamped(3, 3, 0)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const narrow = await clamped(2, 3, 4);
    expect(narrow).toHaveLength(6);
    expect(narrow.every((v) => v === narrow[0])).toBe(true);
  });
});

describe('PatchCore reflect padding before the backbone', () => {
  it('gives the same patch grid as without padding, with different values near the edge', async () => {
    const backbone = resolveBackbone('resnet', 0);
    const levels = [backbone.features[0].name, backbone.features[1].name] as [string, string];
    const image = new Float32Array(3 * 64 * 96).map((_, i) => ((i * 7919) % 255) / 255);
    const run = async (reflectPad: number) => {
      const g = new GraphBuilder('t');
      const x = g.input('x', 'float32', [1, 3, 'H', 'W']);
      g.node('Identity', [patchFeatures(g, backbone, x, { levels, reflectPad })], {}, { outputs: ['out'] });
      g.output('out', 'float32', [1, 'C', 'h', 'w']);
      return runOne(g, { x: new ort.Tensor('float32', image, [1, 3, 64, 96]) });
    };
    const [plain, padded] = [await run(0), await run(32)];
    expect(padded.dims).toEqual(plain.dims);
    const a = plain.data as Float32Array;
    const b = padded.data as Float32Array;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
    expect(diff).toBeGreaterThan(1e-4);
  });
});

describe('PatchCore flip test-time augmentation', () => {
  it("map = mean of the image's map and the mirrored map of its mirror", async () => {
    const backbone = resolveBackbone('resnet', 0);
    const C = 128 + 256;
    const bank = new Float32Array(20 * C).map((_, i) => Math.sin(i * 0.37));
    const scale = new Float32Array(C).fill(1);
    const [H, W] = [32, 48];
    const img = new Uint8Array(3 * H * W).map((_, i) => (i * 7919 + (i >> 5) * 31) % 256);
    const mirror = <T extends Uint8Array | Float32Array>(a: T, planes: number): T => {
      const out = a.slice() as T;
      for (let p = 0; p < planes; p++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out[(p * H + y) * W + x] = a[(p * H + y) * W + (W - 1 - x)];
      return out;
    };
    const map = async (flipTta: boolean, image: Uint8Array) => {
      const params = { levels: ['layer2', 'layer3'], fit: 'short-side', imageSize: 32, maxLong: 64, poolSize: 1, coresetRatio: 1, maxBank: 20, projectionDim: 8, sigma: 2, photometric: true, flipTta } as PatchCoreParams;
      const { session } = await openSession(serializeModel(buildPatchCoreGraph(backbone, params, scale, bank, C).build()), 'test');
      try {
        return (await session.run({ image: new ort.Tensor('uint8', image, [1, 3, H, W]) })).anomaly_map.data as Float32Array;
      } finally {
        await session.release();
      }
    };
    const tta = await map(true, img);
    const plain = await map(false, img);
    const plainOfMirror = mirror(await map(false, mirror(img, 3)), 1);
    let err = 0;
    let differs = 0;
    for (let i = 0; i < tta.length; i++) {
      err = Math.max(err, Math.abs(tta[i] - 0.5 * (plain[i] + plainOfMirror[i])));
      differs = Math.max(differs, Math.abs(plain[i] - plainOfMirror[i]));
    }
    expect(differs).toBeGreaterThan(1e-3); // the mirror really gives another map
    expect(err).toBeLessThan(1e-4);
  });
});

describe('PatchCore default neighbourhood per image size', () => {
  it('is the 256 px default at 256 px, keeps its share of the image elsewhere, odd and at least 3', () => {
    expect(aggregateFor(256, 9)).toEqual([9, 9]);
    expect(aggregateFor(256, [5, 11])).toEqual([5, 11]);
    expect(aggregateFor(64, 9)).toEqual([3, 3]);
    expect(aggregateFor(128, 9)).toEqual([5, 5]);
    for (const size of [32, 100, 200, 300, 384, 512]) for (const a of aggregateFor(size, [5, 11])) {
      expect(a % 2).toBe(1);
      expect(a).toBeGreaterThanOrEqual(3);
    }
  });

  it('accepts its own scaled default at large image sizes, checks only what the user typed', () => {
    const backbone = resolveBackbone('mobilenetv2', 0);
    // 2048 px scales [9, 13] past the typed limit of 63; this used to fail naming an --aggregate nobody passed.
    expect(trainParams({ imageSize: 2048 }, backbone).aggregate).toEqual(aggregateFor(2048, [9, 13]));
    expect(Math.max(...(trainParams({ imageSize: 2048 }, backbone).aggregate as number[]))).toBeGreaterThan(63);
    expect(() => trainParams({ imageSize: 2048, params: { aggregate: 65 } }, backbone)).toThrow(/--aggregate "65"/);
    expect(trainParams({ imageSize: 256, params: { aggregate: '3' } }, backbone).aggregate).toBe(3);
    // Three levels without a neighbourhood: the two-sided default does not fit and the message says what to pass.
    expect(() => trainParams({ params: { levels: ['block_2', 'block_5', 'block_9'] } }, backbone)).toThrow(/3 feature levels/);
    expect(() => trainParams({ params: { knn: 0 } }, backbone)).toThrow(/params\.knn 0/);
    expect(trainParams({ params: { knn: 3 } }, backbone).knn).toBe(3);
  });
});
