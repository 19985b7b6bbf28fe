/**
 * Self-contained ONNX for the line: a model folder's model.onnx with the input turned into what a camera
 * pipeline holds (uint8 RGB pixels, HWC) and the decision added as outputs.
 *
 *   image     uint8   [N, H, W, 3]  RGB, 0-255, already resized by the caller (see `inputSpec` below)
 *   anomaly_map float32 [N, 1, H, W]  same values as the app's map on the model input grid
 *   score     float32 [N]           same value as the app's image score
 *   mask      uint8   [N, 1, H, W]  1 where anomaly_map >= threshold, else 0
 *   is_defect uint8   [N]           1 where score >= threshold (the app's OK / NOK decision), else 0
 *
 * Everything after the resize is inside the graph: HWC -> CHW, /255, the method's photometric standardisation,
 * the backbone normalisation (all already part of model.onnx), the threshold. The resize stays with the caller
 * because no ONNX Resize reproduces libvips' antialiased bicubic exactly, and matching the app's scores needs
 * the same input pixels; metadata_props say exactly which geometry and kernel the app uses.
 *
 * Why not keep the folder's own metadata key: an exported model takes HWC, not the folder contract's CHW, so it
 * must not pass for a model folder's model.onnx (readModelFolder would accept it and feed it the wrong layout).
 */
import { StudioError } from '../../shared/errors.js';
import { DEFAULT_OPSET, valueInfo, type Dim } from '../engine/onnx/graph.js';
import { arrayToTensor, onnx, parseModel, serializeModel, type ModelProto, type NodeProto, type ValueInfoProto } from '../engine/onnx/proto.js';
import { INPUT_NAME, MAP_OUTPUT, MODEL_METADATA_KEY, SCORE_OUTPUT, type LoadedModelFolder, type ModelJson } from '../models/modelFolder.js';

export const EXPORT_METADATA_KEY = 'defect-studio.export';
export const EXPORT_FORMAT_VERSION = 1;
export const MASK_OUTPUT = 'mask';
export const DEFECT_OUTPUT = 'is_defect';

/** What the exported graph takes; also written to metadata_props["input_spec"] and the README. */
export interface ExportInputSpec {
  name: typeof INPUT_NAME;
  dtype: 'uint8';
  layout: 'NHWC';
  channels: 'RGB';
  /** Symbolic dims are names (any size); fixed-size models have numbers. */
  shape: [Dim, Dim, Dim, 3];
  fit: ModelJson['input']['fit'];
  size: number;
  multiple: number;
  maxLong: number;
  resize: string;
  geometry: string;
}

export interface ExportedOnnx {
  onnx: Uint8Array;
  input: ExportInputSpec;
  /** The threshold as the graph compares it (float32, rounded up so that >= decides as the app does). */
  threshold: number;
  metadata: Record<string, string>;
}

const RESIZE_NOTE =
  "libvips' resize with its 'cubic' (Catmull-Rom) kernel, which also low-pass filters when downscaling: sharp(file).resize(W, H, { fit: 'fill', kernel: 'cubic' }) after any crop; grayscale images replicated to R = G = B, alpha dropped";

function geometryNote(fit: ModelJson['input']['fit'], size: number, multiple: number, maxLong: number): string {
  if (fit === 'stretch') return `resize the whole image to ${size} x ${size} (aspect ratio not kept)`;
  if (fit === 'center-crop') return `crop the centred square of side min(width, height) (left = floor((width - side) / 2), top likewise), then resize it to ${size} x ${size}`;
  return (
    `scale so the short side is ${size}: W = max(${multiple}, round(width * s / ${multiple}) * ${multiple}) (round half up), H likewise, s = ${size} / min(width, height); ` +
    `if max(W, H) > ${maxLong}, scale both again by ${maxLong} / max(W, H) with the same rounding; then resize to W x H`
  );
}

/** Smallest float32 >= t, so that float32 `score >= it` holds exactly when the app's `score >= t` does. */
export function float32AtLeast(t: number): number {
  const f = Math.fround(t);
  if (f >= t || !Number.isFinite(f)) return f;
  const buf = new DataView(new ArrayBuffer(4));
  buf.setFloat32(0, f);
  const bits = buf.getInt32(0);
  buf.setInt32(0, f >= 0 ? bits + 1 : bits - 1);
  return buf.getFloat32(0);
}

function dimsOf(v: ValueInfoProto | undefined): Dim[] | null {
  const dims = v?.type?.tensorType?.shape?.dim;
  if (!dims) return null;
  return dims.map((d) => (d.dimParam ? d.dimParam : d.dimValue !== null && d.dimValue !== undefined ? Number(d.dimValue) : '?'));
}

function namesIn(model: ModelProto): Set<string> {
  const g = model.graph!;
  const names = new Set<string>();
  for (const n of g.node ?? []) {
    for (const x of n.input ?? []) names.add(x);
    for (const x of n.output ?? []) names.add(x);
  }
  for (const t of g.initializer ?? []) if (t.name) names.add(t.name);
  for (const v of [...(g.input ?? []), ...(g.output ?? [])]) if (v.name) names.add(v.name);
  return names;
}

/** Builds the self-contained ONNX from a loaded model folder (readModelFolder checked its contract already). */
export function buildSelfContainedOnnx(folder: LoadedModelFolder, opts: { modelId: string; exportedAt?: string }): ExportedOnnx {
  const { json } = folder;
  const source = `${folder.dir}/model.onnx`;
  const model = parseModel(folder.onnx, source);
  const graph = model.graph!;
  const opset = (model.opsetImport ?? []).find((o) => !o.domain)?.version;
  const opsetNumber = opset === null || opset === undefined ? DEFAULT_OPSET : Number(opset);
  if (opsetNumber < 12) throw new StudioError('UNSUPPORTED', `${source} uses ONNX opset ${opsetNumber}; export needs opset 12 or newer (GreaterOrEqual). Retrain the model with this version of Defect Studio.`);

  const oldInput = (graph.input ?? []).find((i) => i.name === INPUT_NAME);
  const inDims = dimsOf(oldInput ?? undefined);
  if (!oldInput || oldInput.type?.tensorType?.elemType !== onnx.TensorProto.DataType.UINT8 || !inDims || inDims.length !== 4 || inDims[1] !== 3) {
    throw new StudioError('UNREADABLE', `${source}: input "${INPUT_NAME}" is not uint8 [N,3,H,W] as the model folder format requires; the model folder is corrupt.`);
  }

  const { fit, size, multiple, maxLong } = json.input;
  // Fixed-geometry fits always feed size x size; 'short-side' keeps the aspect ratio, so H and W stay free.
  const fixed = fit !== 'short-side';
  const H: Dim = fixed ? size : 'H';
  const W: Dim = fixed ? size : 'W';
  const N: Dim = typeof inDims[0] === 'number' ? inDims[0] : 'N';

  const taken = namesIn(model);
  const fresh = (base: string) => {
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
  const nchw = fresh('export/image_nchw');
  for (const n of graph.node ?? []) n.input = (n.input ?? []).map((x) => (x === INPUT_NAME ? nchw : x));

  const threshold = float32AtLeast(json.threshold);
  const thresholdName = fresh('export/threshold');
  graph.initializer = [...(graph.initializer ?? []), arrayToTensor(thresholdName, 'float32', [], Float32Array.of(threshold))];
  const node = (opType: string, inputs: string[], output: string, attribute: NodeProto['attribute'] = []): NodeProto => ({
    opType,
    input: inputs,
    output: [output],
    name: fresh(`export/${opType}`),
    attribute,
    domain: '',
  });
  const INT = onnx.AttributeProto.AttributeType.INT;
  const INTS = onnx.AttributeProto.AttributeType.INTS;
  const toUint8 = [{ name: 'to', type: INT, i: onnx.TensorProto.DataType.UINT8 }];
  const maskBool = fresh('export/mask_bool');
  const defectBool = fresh('export/is_defect_bool');
  graph.node = [
    node('Transpose', [INPUT_NAME], nchw, [{ name: 'perm', type: INTS, ints: [0, 3, 1, 2] }]),
    ...(graph.node ?? []),
    node('GreaterOrEqual', [MAP_OUTPUT, thresholdName], maskBool),
    node('Cast', [maskBool], MASK_OUTPUT, toUint8),
    node('GreaterOrEqual', [SCORE_OUTPUT, thresholdName], defectBool),
    node('Cast', [defectBool], DEFECT_OUTPUT, toUint8),
  ];
  graph.input = [valueInfo(INPUT_NAME, 'uint8', [N, H, W, 3]), ...(graph.input ?? []).filter((i) => i.name !== INPUT_NAME)];
  graph.output = [
    valueInfo(MAP_OUTPUT, 'float32', [N, 1, H, W]),
    valueInfo(SCORE_OUTPUT, 'float32', [N]),
    valueInfo(MASK_OUTPUT, 'uint8', [N, 1, H, W]),
    valueInfo(DEFECT_OUTPUT, 'uint8', [N]),
  ];

  const input: ExportInputSpec = {
    name: INPUT_NAME,
    dtype: 'uint8',
    layout: 'NHWC',
    channels: 'RGB',
    shape: [N, H, W, 3],
    fit,
    size,
    multiple,
    maxLong,
    resize: RESIZE_NOTE,
    geometry: geometryNote(fit, size, multiple, maxLong),
  };
  const photometric = json.params.photometric === true;
  const normalisation = {
    inside: true,
    steps: [
      'x = float(pixel) / 255',
      ...(photometric ? ['per image: x = (x - mean(x)) / sqrt(var(x) + 1e-6) * 0.2 + 0.5 (exposure/gain standardisation)'] : []),
      json.backbone.parts
        ? `per channel, inside each part of the fused backbone ${json.backbone.name}: (x - mean) / std with that part's statistics (backbone_parts)`
        : `per channel: (x - mean) / std with the backbone's ${json.backbone.name} statistics`,
    ],
    backbone: json.backbone.normalisation,
    ...(json.backbone.parts ? { backbone_parts: json.backbone.parts } : {}),
    photometric,
  };
  const exportedAt = opts.exportedAt ?? new Date().toISOString();
  const metadata: Record<string, string> = {
    [EXPORT_METADATA_KEY]: JSON.stringify({ format: 'defect-studio-export', exportVersion: EXPORT_FORMAT_VERSION, modelId: opts.modelId, modelCreatedAt: json.createdAt, exportedAt }),
    method: json.method,
    version: `model format ${json.version}, export format ${EXPORT_FORMAT_VERSION}`,
    backbone: `${json.backbone.name} (${json.backbone.provenance})`,
    threshold: String(threshold),
    threshold_source: json.thresholdSource,
    input_spec: JSON.stringify(input),
    normalisation: JSON.stringify(normalisation),
    outputs: JSON.stringify({
      [MAP_OUTPUT]: 'float32 [N,1,H,W] anomaly map on the input grid; higher = more anomalous',
      [SCORE_OUTPUT]: 'float32 [N] image anomaly score',
      [MASK_OUTPUT]: 'uint8 [N,1,H,W] 1 where anomaly_map >= threshold',
      [DEFECT_OUTPUT]: 'uint8 [N] 1 where score >= threshold',
    }),
  };
  model.metadataProps = [
    ...(model.metadataProps ?? []).filter((p) => p.key !== MODEL_METADATA_KEY && !(p.key && p.key in metadata)),
    ...Object.entries(metadata).map(([key, value]) => ({ key, value })),
  ];
  model.docString = `Defect Studio ${json.method} model ${opts.modelId}, exported for deployment: uint8 RGB NHWC in; anomaly_map, score, mask, is_defect out. See metadata_props.`;
  return { onnx: serializeModel(model), input, threshold, metadata };
}
