/**
 * Model export end to end: a tiny PatchCore model trained on generated blob images, exported through the CLI as
 * ONNX / Triton / zip, the exported graph run in a fresh onnxruntime-node session against the app's AnomalyModel.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/index.js';
import { listModels } from '../../../src/main/export/catalog.js';
import { tritonTensors } from '../../../src/main/export/triton.js';
import { GraphBuilder } from '../../../src/main/engine/onnx/graph.js';
import { parseModel, serializeModel } from '../../../src/main/engine/onnx/proto.js';
import { preprocessImage } from '../../../src/main/data/preprocess.js';
import { AnomalyModel } from '../../../src/main/models/inference.js';
import { ModelJson, MODEL_METADATA_KEY } from '../../../src/main/models/modelFolder.js';
import { createModelsModule } from '../../../src/main/router/models.js';
import type { DomainDeps } from '../../../src/main/router/domain.js';
import { makeBlobDataset } from '../models/synthetic.js';
import { capture } from '../helpers/captureIo.js';

let tmp: string;
let data: string;
let modelDir: string;
/** Test images of both labels plus one non-square image, so that H and W cannot be swapped unnoticed. */
let images: string[];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ds-export-'));
  data = path.join(tmp, 'blobs');
  modelDir = path.join(tmp, 'models', 'tiny-pc');
  await makeBlobDataset(data, { size: 48, trainGood: 6, testGood: 2, testDefect: 3, seed: 5 });
  const wide = path.join(tmp, 'wide.png');
  await sharp(path.join(data, 'test/blob/000.png')).resize(80, 48, { fit: 'fill' }).toFile(wide);
  images = [...['good', 'blob'].flatMap((l) => readdirSync(path.join(data, 'test', l)).map((f) => path.join(data, 'test', l, f))), wide];
  const c = capture();
  const code = await main(['train', '--method', 'patchcore', '--data', data, '--out', modelDir, '--image-size', '48', '--seed', '2'], c.io);
  if (code !== 0) throw new Error(c.err.join('\n'));
}, 60_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function exportCli(format: string, out: string, model = modelDir) {
  const c = capture();
  const code = await main(['export', '--model', model, '--format', format, '--out', out], c.io);
  return { code, err: c.err.join('\n'), result: code === 0 ? (JSON.parse(c.out[0]) as { path: string; files: string[]; threshold: number }) : null };
}

/** The app's preprocessed CHW planes as the HWC bytes a camera pipeline hands the exported model. */
function toHwc(chw: Uint8Array, h: number, w: number): Uint8Array {
  const plane = h * w;
  const hwc = new Uint8Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) hwc[3 * i + c] = chw[c * plane + i];
  return hwc;
}

function meta(bytes: Uint8Array): Record<string, string> {
  return Object.fromEntries((parseModel(bytes).metadataProps ?? []).map((p) => [p.key!, p.value!]));
}

/** Runs every test image through the exported ONNX and the app; returns the largest differences. */
async function compareWithApp(onnxFile: string) {
  const app = await AnomalyModel.load(modelDir);
  const session = await ort.InferenceSession.create(onnxFile); // fresh session, plain ORT, no Defect Studio code
  let maxScore = 0;
  let maxMap = 0;
  let decisions = 0;
  try {
    for (const file of images) {
      const pre = await preprocessImage(file, app.preprocess);
      const ref = await app.run(pre);
      const { inHeight: h, inWidth: w } = pre.geometry;
      const out = await session.run({ image: new ort.Tensor('uint8', toHwc(pre.data, h, w), [1, h, w, 3]) });
      expect(out.anomaly_map.dims).toEqual([1, 1, h, w]);
      const map = out.anomaly_map.data as Float32Array;
      const score = (out.score.data as Float32Array)[0];
      const mask = out.mask.data as Uint8Array;
      maxScore = Math.max(maxScore, Math.abs(score - ref.score));
      for (let i = 0; i < map.length; i++) {
        maxMap = Math.max(maxMap, Math.abs(map[i] - ref.map[i]));
        expect(mask[i]).toBe(ref.map[i] >= app.json.threshold ? 1 : 0);
      }
      const isDefect = (out.is_defect.data as Uint8Array)[0];
      expect(isDefect).toBe(ref.score >= app.json.threshold ? 1 : 0);
      decisions += isDefect;
    }
  } finally {
    await session.release();
    await app.release();
  }
  return { maxScore, maxMap, decisions };
}

describe('export --format onnx', () => {
  it('loads in a fresh ORT session and gives the app\'s maps and scores to 1e-5, with mask and decision', async () => {
    const { code, err, result } = await exportCli('onnx', path.join(tmp, 'out-onnx'));
    expect(code, err).toBe(0);
    expect(result!.path).toBe(path.join(tmp, 'out-onnx', 'tiny-pc.onnx'));
    const { maxScore, maxMap, decisions } = await compareWithApp(result!.path);
    expect(maxScore).toBeLessThanOrEqual(1e-5);
    expect(maxMap).toBeLessThanOrEqual(1e-5);
    expect(decisions).toBeGreaterThan(0); // the blobs are found: the threshold is really applied
  });

  it('carries threshold, normalisation, input spec, method and version in metadata_props, not the folder key', async () => {
    const bytes = readFileSync(path.join(tmp, 'out-onnx', 'tiny-pc.onnx'));
    const m = meta(bytes);
    const json = ModelJson.parse(JSON.parse(readFileSync(path.join(modelDir, 'model.json'), 'utf8')));
    expect(Math.abs(Number(m.threshold) - json.threshold)).toBeLessThan(1e-7 * Math.max(1, json.threshold));
    expect(m.method).toBe('patchcore');
    expect(m.version).toMatch(/model format 1, export format 1/);
    expect(JSON.parse(m.input_spec)).toMatchObject({ layout: 'NHWC', dtype: 'uint8', channels: 'RGB', shape: ['N', 'H', 'W', 3], fit: 'short-side', size: 48 });
    expect(JSON.parse(m.normalisation)).toMatchObject({ inside: true, backbone: json.backbone.normalisation });
    expect(m[MODEL_METADATA_KEY]).toBeUndefined();
    // ...so the exported HWC model is not mistaken for a model folder's CHW model.onnx.
    const fake = path.join(tmp, 'exported-as-folder');
    mkdirSync(fake);
    cpSync(path.join(modelDir, 'model.json'), path.join(fake, 'model.json'));
    writeFileSync(path.join(fake, 'model.onnx'), bytes);
    await expect(AnomalyModel.load(fake)).rejects.toThrow(/was not written by Defect Studio/);
  });

  it('fixes H and W for fixed-size fits (stretch): input uint8 [N, size, size, 3]', async () => {
    const dir = path.join(tmp, 'models', 'stretch');
    cpSync(modelDir, dir, { recursive: true });
    const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as ModelJson;
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ ...json, input: { ...json.input, fit: 'stretch' } }));
    const { code, err, result } = await exportCli('onnx', path.join(tmp, 'out-stretch'), dir);
    expect(code, err).toBe(0);
    const { inputs, outputs } = tritonTensors(readFileSync(result!.path));
    expect(inputs).toEqual([{ name: 'image', dataType: 'TYPE_UINT8', dims: [-1, 48, 48, 3] }]);
    expect(outputs.find((o) => o.name === 'mask')!.dims).toEqual([-1, 1, 48, 48]);
  });
});

/** Reads the input/output blocks of our config.pbtxt back (name, data_type, dims per tensor). */
function parsePbtxt(text: string) {
  const section = (kind: string) => {
    const m = new RegExp(`^${kind} \\[([\\s\\S]*?)^\\]`, 'm').exec(text);
    return [...(m?.[1] ?? '').matchAll(/name: "([^"]+)"\s+data_type: (\w+)\s+dims: \[([^\]]*)\]/g)].map((t) => ({
      name: t[1],
      dataType: t[2],
      dims: t[3].split(',').map((d) => Number(d.trim())),
    }));
  };
  return { name: /^name: "([^"]+)"/m.exec(text)?.[1], platform: /^platform: "([^"]+)"/m.exec(text)?.[1], inputs: section('input'), outputs: section('output') };
}

describe('export --format triton', () => {
  it('writes <name>/config.pbtxt and <name>/1/model.onnx whose names, dtypes and dims match the ONNX', async () => {
    const repo = path.join(tmp, 'triton-repo');
    const { code, err } = await exportCli('triton', repo);
    expect(code, err).toBe(0);
    const cfg = parsePbtxt(readFileSync(path.join(repo, 'tiny-pc', 'config.pbtxt'), 'utf8'));
    const onnxFile = path.join(repo, 'tiny-pc', '1', 'model.onnx');
    expect(cfg.name).toBe('tiny-pc');
    expect(cfg.platform).toBe('onnxruntime_onnx');
    const session = await ort.InferenceSession.create(onnxFile);
    expect(cfg.inputs.map((t) => t.name)).toEqual([...session.inputNames]);
    expect(cfg.outputs.map((t) => t.name)).toEqual([...session.outputNames]);
    await session.release();
    // Against the graph as written (independent of the generator): dtypes and ranks, symbolic dims as -1.
    const g = parseModel(readFileSync(onnxFile)).graph!;
    const typeName: Record<number, string> = { 1: 'TYPE_FP32', 2: 'TYPE_UINT8' };
    for (const [cfgTensors, onnxTensors] of [[cfg.inputs, g.input!], [cfg.outputs, g.output!]] as const) {
      for (const t of cfgTensors) {
        const v = onnxTensors.find((x) => x.name === t.name)!.type!.tensorType!;
        expect(t.dataType).toBe(typeName[v.elemType!]);
        expect(t.dims).toEqual(v.shape!.dim!.map((d) => (d.dimParam ? -1 : Number(d.dimValue))));
      }
    }
    expect(cfg.inputs).toEqual([{ name: 'image', dataType: 'TYPE_UINT8', dims: [-1, -1, -1, 3] }]);
    expect(cfg.outputs.map((t) => `${t.name}:${t.dataType}:${t.dims.length}`)).toEqual(['anomaly_map:TYPE_FP32:4', 'score:TYPE_FP32:1', 'mask:TYPE_UINT8:4', 'is_defect:TYPE_UINT8:1']);
  });
});

describe('export --format zip', () => {
  it('holds model.onnx (the app\'s scores), model.json and a README with the threshold', async () => {
    const { code, err, result } = await exportCli('zip', path.join(tmp, 'out-zip'));
    expect(code, err).toBe(0);
    const files = unzipSync(readFileSync(result!.path));
    expect(Object.keys(files).sort()).toEqual(['README.md', 'model.json', 'model.onnx']);
    const json = JSON.parse(new TextDecoder().decode(files['model.json'])) as ModelJson & { export: { threshold: number; input: { layout: string } } };
    expect(ModelJson.safeParse(json).success).toBe(true);
    expect(json.export.input.layout).toBe('NHWC');
    const readme = new TextDecoder().decode(files['README.md']);
    expect(readme).toContain(String(result!.threshold));
    expect(readme).toMatch(/is_defect/);
    const unzipped = path.join(tmp, 'unzipped.onnx');
    writeFileSync(unzipped, files['model.onnx']);
    const { maxScore } = await compareWithApp(unzipped);
    expect(maxScore).toBeLessThanOrEqual(1e-5);
  });
});

describe('bad input and overwrite: clear error, exit 2', () => {
  it('refuses to overwrite an existing export (all formats), leaving it untouched', async () => {
    for (const [format, out, target] of [
      ['onnx', 'out-onnx', 'tiny-pc.onnx'],
      ['triton', 'triton-repo', 'tiny-pc'],
      ['zip', 'out-zip', 'tiny-pc.zip'],
    ]) {
      const file = path.join(tmp, out, target);
      const before = statSync(file).mtimeMs;
      const { code, err } = await exportCli(format, path.join(tmp, out));
      expect(code, format).toBe(2);
      expect(err).toContain(`${file} already exists; export never overwrites`);
      expect(statSync(file).mtimeMs).toBe(before);
    }
    expect(readdirSync(path.join(tmp, 'out-onnx')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a corrupt model folder', async () => {
    const dir = path.join(tmp, 'models', 'corrupt');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'model.json'), '{ "format": "defect-studio-model", ');
    writeFileSync(path.join(dir, 'model.onnx'), 'not a model');
    const { code, err } = await exportCli('onnx', path.join(tmp, 'out-corrupt'), dir);
    expect(code).toBe(2);
    expect(err).toMatch(/model\.json is not valid JSON/);
  });

  it('a model.onnx from another tool', async () => {
    const dir = path.join(tmp, 'models', 'foreign');
    mkdirSync(dir, { recursive: true });
    cpSync(path.join(modelDir, 'model.json'), path.join(dir, 'model.json'));
    const g = new GraphBuilder('other');
    g.node('Identity', [g.input('x', 'float32', [1])], {}, { outputs: ['y'] });
    g.output('y');
    writeFileSync(path.join(dir, 'model.onnx'), serializeModel(g.build({ producer: 'pytorch' })));
    const { code, err } = await exportCli('triton', path.join(tmp, 'out-foreign'), dir);
    expect(code).toBe(2);
    expect(err).toMatch(/was not written by Defect Studio/);
  });

  it('a missing folder and an unknown format', async () => {
    expect((await exportCli('onnx', path.join(tmp, 'o'), path.join(tmp, 'nope'))).err).toMatch(/does not exist/);
    const r = await exportCli('tflite', path.join(tmp, 'o'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--format must be one of onnx, triton, zip/);
  });
});

describe('models API (catalog + export through the router module)', () => {
  it('lists good and broken folders with reasons, exports to a fresh folder each time', async () => {
    const workspace = tmp; // models/ holds tiny-pc, stretch, corrupt, foreign from the tests above
    const rows = await listModels(path.join(workspace, 'models'));
    expect(rows.map((r) => `${r.id}:${r.status}`)).toEqual(['corrupt:error', 'foreign:ok', 'stretch:ok', 'tiny-pc:ok']);
    const bad = rows.find((r) => r.id === 'corrupt')!;
    expect(bad.status === 'error' && bad.error).toMatch(/not valid JSON/);
    const good = rows.find((r) => r.id === 'tiny-pc')!;
    expect(good).toMatchObject({ method: 'patchcore', training: { root: data, trainImages: 5 }, input: { fit: 'short-side', size: 48 } });

    const mod = await createModelsModule({ workspace } as DomainDeps);
    const listed = await mod.handlers['models.list']({});
    expect(listed.models).toHaveLength(4);
    const a = await mod.handlers['models.export']({ modelId: 'tiny-pc', format: 'onnx' });
    const b = await mod.handlers['models.export']({ modelId: 'tiny-pc', format: 'onnx' });
    expect(path.dirname(path.dirname(a.path))).toBe(path.join(workspace, 'exports'));
    expect(a.path).not.toBe(b.path);
    expect(statSync(a.path).size).toBe(a.bytes);
    await expect(mod.handlers['models.export']({ modelId: 'corrupt', format: 'zip' })).rejects.toThrow(/not valid JSON/);
  });
});
