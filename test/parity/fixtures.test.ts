/**
 * The committed parity fixtures are self-consistent: every file the manifest names exists and parses, gradient
 * shapes match the manifest, file names follow the `grad` CLI's percent-encoding, the whole set stays small, and
 * onnxruntime-node itself (no engine code) reproduces PyTorch's loss from each exported model — so a parity
 * failure points at the engine's backward pass, not at an export that ORT reads differently from PyTorch.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli.js';
import { readNpy } from './helpers/npy.js';

const FIXTURES = path.join(REPO_ROOT, 'test', 'parity', 'fixtures');
const manifest = JSON.parse(readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8')) as {
  cases: {
    name: string;
    inputs: { name: string; file: string; dtype: string; shape: number[] }[];
    loss: { file: string; value: number };
    grads: { name: string; file: string; shape: number[] }[];
  }[];
};

/** The grad CLI's naming rule: each UTF-8 byte outside [A-Za-z0-9._-] becomes %XX (upper-case hex). */
function percentEncode(name: string): string {
  return [...new TextEncoder().encode(name)]
    .map((b) => (/[A-Za-z0-9._-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

function sizeOf(dir: string): number {
  return readdirSync(dir).reduce((sum, f) => {
    const p = path.join(dir, f);
    const s = statSync(p);
    return sum + (s.isDirectory() ? sizeOf(p) : s.size);
  }, 0);
}

describe('parity fixtures', () => {
  it('cover the cases the issue names', () => {
    const names = manifest.cases.map((c) => c.name);
    for (const needed of ['resnet_bn_ce', 'unet_bilinear', 'unet_bilinear_align_corners', 'depthwise_dilated',
      'cosine_distill', 'infonce', 'simam', 'sspcab']) {
      expect(names).toContain(needed);
    }
  });

  it('name every file correctly and parse', () => {
    for (const c of manifest.cases) {
      const dir = path.join(FIXTURES, c.name);
      for (const i of c.inputs) {
        expect(readNpy(new Uint8Array(readFileSync(path.join(dir, i.file))), i.file).shape).toEqual(i.shape);
      }
      expect(readNpy(new Uint8Array(readFileSync(path.join(dir, c.loss.file))), c.loss.file).shape).toEqual([]);
      for (const g of c.grads) {
        expect(path.basename(g.file)).toBe(`${percentEncode(g.name)}.npy`);
        expect(readNpy(new Uint8Array(readFileSync(path.join(dir, g.file))), g.file).shape).toEqual(g.shape);
      }
    }
    expect(percentEncode('enc:1 (é).weight')).toBe('enc%3A1%20%28%C3%A9%29.weight');
  });

  it('stay under 3 MB in total', () => {
    expect(sizeOf(FIXTURES)).toBeLessThan(3e6);
  });

  it('run forward in onnxruntime-node to the PyTorch loss (relative 1e-5)', { timeout: 120_000 }, async () => {
    const off: string[] = [];
    for (const c of manifest.cases) {
      const dir = path.join(FIXTURES, c.name);
      // Optimisations off: ORT 1.30's basic-level fusions treat training-mode BatchNormalization as inference-mode
      // (Conv+BN folding with the running statistics), which would make this reference check wrong.
      const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), { graphOptimizationLevel: 'disabled' });
      const feeds: Record<string, ort.Tensor> = {};
      for (const i of c.inputs) {
        const t = readNpy(new Uint8Array(readFileSync(path.join(dir, i.file))), i.file);
        feeds[i.name] = i.dtype === 'int64'
          ? new ort.Tensor('int64', BigInt64Array.from(t.data, (v) => BigInt(v)), t.shape)
          : new ort.Tensor('float32', Float32Array.from(t.data), t.shape);
      }
      const out = await session.run(feeds);
      const loss = Number(out[session.outputNames[0]].data[0]);
      const err = Math.abs(loss - c.loss.value) / Math.abs(c.loss.value);
      if (!(err <= 1e-5)) off.push(`${c.name}: ORT ${loss} vs PyTorch ${c.loss.value}`);
      await session.release();
    }
    expect(off).toEqual([]);
  });
});
