/**
 * Converts the ImageNet part of nsfwjs 4.4.0's MobileNetV2 (TF.js layers, uint8-quantized weights) to
 * resources/models/mobilenetv2-imagenet.onnx, then checks it against the original model run by TF.js (a
 * dependency of nsfwjs) on random inputs and prints the max relative error per feature.
 *
 * Run: npx tsx scripts/convert-mobilenetv2.ts [--out resources/models/mobilenetv2-imagenet.onnx] [--no-parity]
 */
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { serializeModel } from '../src/main/engine/onnx/proto.js';
import {
  buildMobileNetV2,
  MOBILENETV2_FEATURES,
  MOBILENETV2_INFO,
  MOBILENETV2_LAST_LAYER,
  type KerasLayer,
} from '../src/main/models/backbones/mobilenetv2.js';
import { BACKBONE_METADATA_KEY } from '../src/main/models/backbones/types.js';

const require = createRequire(import.meta.url);
// Absolute paths: nsfwjs' package "exports" hide dist/models/*, but the files are plain UMD modules.
const PKG = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'nsfwjs');
const DIR = path.join(PKG, 'dist', 'models', 'mobilenet_v2');

interface WeightSpec { name: string; shape: number[]; dtype: string; quantization?: { min: number; scale: number; dtype: string } }

function loadNsfwjs(): { layers: KerasLayer[]; specs: WeightSpec[]; bytes: Uint8Array; version: string } {
  const version = (JSON.parse(readFileSync(path.join(PKG, 'package.json'), 'utf8')) as { version: string }).version;
  if (version !== '4.4.0') throw new Error(`Expected nsfwjs 4.4.0 (whose layers up to ${MOBILENETV2_LAST_LAYER} are ImageNet weights), found ${version}.`);
  const model = require(`${DIR}/model.min.js`) as {
    modelTopology: { keras_version: string; model_config: { config: { layers: KerasLayer[] } } };
    weightsManifest: { weights: WeightSpec[] }[];
  };
  const shard = require(`${DIR}/group1-shard1of1.min.js`) as string;
  return {
    layers: model.modelTopology.model_config.config.layers,
    specs: model.weightsManifest.flatMap((m) => m.weights),
    bytes: new Uint8Array(Buffer.from(shard, 'base64')),
    version,
  };
}

/** Dequantizes in weight-list order: each tensor is prod(shape) uint8 values q, value = q · scale + min. */
function dequantize(specs: WeightSpec[], bytes: Uint8Array): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  let offset = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (s.quantization?.dtype !== 'uint8') throw new Error(`Weight ${s.name} is not uint8-quantized (${JSON.stringify(s.quantization)}).`);
    const { min, scale } = s.quantization;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = bytes[offset + i] * scale + min;
    offset += n;
    out.set(s.name, { shape: s.shape, data });
  }
  if (offset !== bytes.length) throw new Error(`Weight shard has ${bytes.length} bytes but the manifest describes ${offset}.`);
  return out;
}

async function parity(onnxBytes: Uint8Array, src: ReturnType<typeof loadNsfwjs>): Promise<Record<string, number>> {
  const tf = require('@tensorflow/tfjs') as typeof import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const full = await tf.loadLayersModel({
    load: async () => ({
      modelTopology: (require(`${DIR}/model.min.js`) as { modelTopology: object }).modelTopology,
      weightSpecs: src.specs as never,
      weightData: src.bytes.slice().buffer,
    }),
  });
  const H = 224;
  const W = 160; // non-square on purpose: catches H/W mix-ups
  const N = 2;
  const x = new Float32Array(N * H * W * 3);
  let s = 12345;
  for (let i = 0; i < x.length; i++) x[i] = (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  // TF.js model: NHWC in [-1, 1]; ours: NCHW in [0, 1]. Input layer is fixed to 224x224 in the topology, so
  // rebuild a sub-model on a new input of our size.
  const input = tf.input({ shape: [H, W, 3] });
  const outputs: Record<string, import('@tensorflow/tfjs').SymbolicTensor> = {};
  let cur: import('@tensorflow/tfjs').SymbolicTensor = input;
  const produced = new Map<string, import('@tensorflow/tfjs').SymbolicTensor>([['input_1', input]]);
  for (const layer of full.layers) {
    if (layer.name === 'input_1') continue;
    const inbound = (src.layers.find((l) => l.name === layer.name)!.inbound_nodes[0] ?? []).map((n) => produced.get(n[0])!);
    cur = layer.apply(inbound.length === 1 ? inbound[0] : inbound) as import('@tensorflow/tfjs').SymbolicTensor;
    produced.set(layer.name, cur);
    if (layer.name === MOBILENETV2_LAST_LAYER) break;
  }
  for (const f of MOBILENETV2_FEATURES) outputs[f.name] = produced.get(f.layer)!;
  const sub = tf.model({ inputs: input, outputs: MOBILENETV2_FEATURES.map((f) => outputs[f.name]) });
  const nhwc = tf.tensor4d(x, [N, H, W, 3]).mul(2).sub(1);
  const ref = sub.predict(nhwc) as import('@tensorflow/tfjs').Tensor[];
  const nchw = new Float32Array(x.length);
  for (let n = 0; n < N; n++) for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) for (let c = 0; c < 3; c++)
    nchw[((n * 3 + c) * H + y) * W + xx] = x[((n * H + y) * W + xx) * 3 + c];
  const session = await ort.InferenceSession.create(onnxBytes);
  const got = await session.run({ image: new ort.Tensor('float32', nchw, [N, 3, H, W]) });
  const errors: Record<string, number> = {};
  MOBILENETV2_FEATURES.forEach((f, k) => {
    const r = ref[k].transpose([0, 3, 1, 2]).dataSync() as Float32Array;
    const o = got[f.name].data as Float32Array;
    if (r.length !== o.length) throw new Error(`Feature ${f.name}: TF.js gives ${r.length} values, ONNX ${o.length}.`);
    let maxAbs = 0;
    let maxRef = 0;
    for (let i = 0; i < r.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(r[i] - o[i]));
      maxRef = Math.max(maxRef, Math.abs(r[i]));
    }
    errors[f.name] = maxAbs / maxRef;
  });
  return errors;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf('--out');
  const out = outIdx >= 0 ? args[outIdx + 1] : path.join('resources', 'models', 'mobilenetv2-imagenet.onnx');
  const src = loadNsfwjs();
  const weights = dequantize(src.specs, src.bytes);
  const g = buildMobileNetV2(src.layers, {
    get: (name) => {
      const w = weights.get(name);
      if (!w) throw new Error(`nsfwjs weights have no tensor ${name}.`);
      return { shape: w.shape, data: w.data.slice() };
    },
  });
  const bytes = serializeModel(g.build({
    producer: 'defect-studio scripts/convert-mobilenetv2.ts',
    docString: MOBILENETV2_INFO.provenance,
    metadata: { [BACKBONE_METADATA_KEY]: JSON.stringify(MOBILENETV2_INFO), source: `nsfwjs@${src.version} dist/models/mobilenet_v2`, license: 'MIT' },
  }));
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(`${out}.tmp`, bytes);
  renameSync(`${out}.tmp`, out);
  let params = 0;
  for (const t of g.initializers.values()) params += (t.dims ?? []).reduce((a: number, b) => a * Number(b), 1);
  console.log(JSON.stringify({ wrote: out, bytes: bytes.length, parameters: params, nodes: g.nodes.length }));
  if (!args.includes('--no-parity')) console.log(JSON.stringify({ parity_max_relative_error: await parity(bytes, src) }));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
