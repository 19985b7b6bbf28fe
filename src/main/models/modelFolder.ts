/**
 * The model folder, one format for every method:
 *   model.onnx  image uint8 [N,3,H,W] -> anomaly_map float32 [N,1,H,W] + score float32 [N]; everything the method
 *               needs (backbone, memory bank, blur) is inside. metadata_props["defect-studio.model"] = model.json's
 *               method + version, so a foreign ONNX file is recognised as such.
 *   model.json  how to feed it (preprocessing), how to read it (threshold, score statistics, PNG scale), what it
 *               was trained on, and its metrics.
 * Writes are atomic per file (temp + rename), model.json last: a folder with model.json is complete.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { StudioError } from '../../shared/errors.js';
import { parseModel } from '../engine/onnx/proto.js';

export const MODEL_METADATA_KEY = 'defect-studio.model';
export const MODEL_FORMAT_VERSION = 1;
export const INPUT_NAME = 'image';
export const MAP_OUTPUT = 'anomaly_map';
export const SCORE_OUTPUT = 'score';

const Stats = z.object({ n: z.number(), mean: z.number(), std: z.number(), min: z.number(), max: z.number(), p50: z.number(), p95: z.number(), p99: z.number() });
export type ScoreStats = z.infer<typeof Stats>;

export const ModelJson = z.object({
  format: z.literal('defect-studio-model'),
  version: z.number().int(),
  method: z.string(),
  createdAt: z.string(),
  backbone: z.object({
    name: z.string(),
    provenance: z.string(),
    features: z.array(z.object({ name: z.string(), stride: z.number(), channels: z.number() })),
    normalisation: z.object({ mean: z.array(z.number()), std: z.array(z.number()) }),
    source: z.string().optional(),
    parts: z.array(z.object({ name: z.string(), normalisation: z.object({ mean: z.array(z.number()), std: z.array(z.number()) }) })).optional(),
  }),
  input: z.object({
    name: z.literal(INPUT_NAME),
    dtype: z.literal('uint8'),
    layout: z.literal('NCHW'),
    channels: z.literal(3),
    fit: z.enum(['stretch', 'short-side', 'center-crop']),
    size: z.number().int().positive(),
    multiple: z.number().int().positive(),
    maxLong: z.number().int().positive(),
    note: z.string(),
  }),
  outputs: z.object({ map: z.literal(MAP_OUTPUT), score: z.literal(SCORE_OUTPUT) }),
  threshold: z.number(),
  thresholdSource: z.enum(['f1-validation', 'quantile-good']),
  scoreStats: Stats,
  /** 16-bit map PNGs written by inspect: value = png / 65535 * maxValue (clamped at maxValue). */
  mapPng: z.object({ maxValue: z.number().positive(), formula: z.string() }),
  training: z.object({
    root: z.string(),
    layout: z.string(),
    split: z.string(),
    seed: z.number().int(),
    trainImages: z.number().int(),
    valImages: z.number().int(),
    byLabel: z.record(z.string(), z.number()),
    seconds: z.number(),
  }),
  params: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.unknown()).optional(),
});
export type ModelJson = z.infer<typeof ModelJson>;

async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (e) {
    throw new StudioError('IO_ERROR', `Could not write ${file}: ${(e as Error).message}`);
  }
}

export async function writeModelFolder(dir: string, onnx: Uint8Array, json: ModelJson): Promise<void> {
  ModelJson.parse(json);
  await mkdir(dir, { recursive: true });
  await writeAtomic(path.join(dir, 'model.onnx'), onnx);
  await writeAtomic(path.join(dir, 'model.json'), JSON.stringify(json, null, 2) + '\n');
}

/** Rewrites model.json only (e.g. after eval adds metrics). */
export async function updateModelJson(dir: string, json: ModelJson): Promise<void> {
  await writeAtomic(path.join(dir, 'model.json'), JSON.stringify(ModelJson.parse(json), null, 2) + '\n');
}

export interface LoadedModelFolder {
  dir: string;
  json: ModelJson;
  onnx: Uint8Array;
}

/**
 * model.json of a folder, validated, without reading model.onnx (listing many large models must stay fast); the
 * ONNX file's presence is checked, its content only by readModelFolder.
 */
export async function readModelJson(dir: string): Promise<ModelJson> {
  if (!existsSync(dir)) throw new StudioError('NOT_FOUND', `Model folder ${dir} does not exist.`);
  const jsonPath = path.join(dir, 'model.json');
  if (!existsSync(jsonPath)) throw new StudioError('UNREADABLE', `${dir} is not a Defect Studio model folder: model.json is missing (train one with \`train --method patchcore\`).`);
  if (!existsSync(path.join(dir, 'model.onnx'))) throw new StudioError('UNREADABLE', `Model folder ${dir} is incomplete: model.onnx is missing.`);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (e) {
    throw new StudioError('UNREADABLE', `${jsonPath} is not valid JSON (${(e as Error).message}); the model folder is corrupt.`);
  }
  const parsed = ModelJson.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StudioError('UNREADABLE', `${jsonPath} is not a valid model description: ${issue.path.join('.') || '(root)'}: ${issue.message}.`);
  }
  return parsed.data;
}

export async function readModelFolder(dir: string): Promise<LoadedModelFolder> {
  const json = await readModelJson(dir);
  const onnxPath = path.join(dir, 'model.onnx');
  const onnx = new Uint8Array(await readFile(onnxPath));
  const model = parseModel(onnx, onnxPath);
  const meta = model.metadataProps?.find((p) => p.key === MODEL_METADATA_KEY)?.value;
  if (!meta) {
    throw new StudioError(
      'UNSUPPORTED',
      `${onnxPath} was not written by Defect Studio (no "${MODEL_METADATA_KEY}" metadata, producer "${model.producerName ?? '?'}"); inspect needs a model folder made by \`train\`.`,
    );
  }
  const inputs = (model.graph?.input ?? []).map((i) => i.name);
  const outputs = (model.graph?.output ?? []).map((o) => o.name);
  if (!inputs.includes(INPUT_NAME) || !outputs.includes(MAP_OUTPUT) || !outputs.includes(SCORE_OUTPUT)) {
    throw new StudioError('UNREADABLE', `${onnxPath} lacks the ${INPUT_NAME} input or the ${MAP_OUTPUT}/${SCORE_OUTPUT} outputs; the model folder is corrupt.`);
  }
  return { dir, json, onnx };
}

export function scoreStats(scores: readonly number[]): ScoreStats {
  const s = [...scores].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { n: 0, mean: 0, std: 0, min: 0, max: 0, p50: 0, p95: 0, p99: 0 };
  const mean = s.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  return { n, mean, std, min: s[0], max: s[n - 1], p50: quantile(s, 0.5), p95: quantile(s, 0.95), p99: quantile(s, 0.99) };
}

/** Linear-interpolated quantile of an ascending array. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}
