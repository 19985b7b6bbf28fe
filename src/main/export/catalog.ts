/**
 * The workspace's models (<workspace>/models/<id>/) as rows for the Models screen: what each model is, what it
 * was trained on and its latest metrics. Reads model.json only (model.onnx can be hundreds of MB); a folder whose
 * model.json is missing or invalid becomes an error row with the sentence readModelFolder would give, so the
 * screen can say which folder is broken and why instead of hiding it. A corrupt model.onnx shows up on export.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { METRIC_KEYS, type BrokenModelRow, type MetricKey, type ModelRow } from '../../shared/contract/models.js';
import { toStudioError } from '../../shared/errors.js';
import type { ModelJson } from '../models/modelFolder.js';
import { readModelJson } from '../review/modelList.js';

function latestMetrics(json: ModelJson): ModelRow['metrics'] {
  const entries = Object.entries(json.metrics ?? {}).filter((e): e is [string, Record<string, unknown>] => !!e[1] && typeof e[1] === 'object');
  if (entries.length === 0) return null;
  const at = (v: Record<string, unknown>) => (typeof v.evaluatedAt === 'string' ? v.evaluatedAt : '');
  const [data, v] = entries.reduce((best, e) => (at(e[1]) > at(best[1]) ? e : best));
  const values: Partial<Record<MetricKey, number | null>> = {};
  for (const k of METRIC_KEYS) {
    const x = v[k];
    values[k] = typeof x === 'number' && Number.isFinite(x) ? x : null;
  }
  return { data, evaluatedAt: at(v) || null, values };
}

/** One model folder as a row; never throws for a broken folder (it becomes a BrokenModelRow). */
export async function readModelRow(dir: string): Promise<ModelRow | BrokenModelRow> {
  const id = path.basename(dir);
  let json: ModelJson;
  let bytes: number;
  try {
    // The Review picker's reader: the same checks and sentences as readModelFolder, model.json only.
    json = await readModelJson(dir);
    bytes = (await stat(path.join(dir, 'model.onnx'))).size;
  } catch (e) {
    return { id, dir, status: 'error', error: toStudioError(e).message };
  }
  if (bytes === 0) return { id, dir, status: 'error', error: `${path.join(dir, 'model.onnx')} is empty; the model folder is corrupt.` };
  return {
    id,
    dir,
    status: 'ok',
    method: json.method,
    backbone: json.backbone.name,
    createdAt: json.createdAt,
    training: { root: json.training.root, trainImages: json.training.trainImages, valImages: json.training.valImages, split: json.training.split, seconds: json.training.seconds },
    input: { fit: json.input.fit, size: json.input.size },
    threshold: json.threshold,
    bytes,
    metrics: latestMetrics(json),
  };
}

/** Every sub-folder of `modelsDir`, sorted by id; an absent folder is an empty list. */
export async function listModels(modelsDir: string): Promise<(ModelRow | BrokenModelRow)[]> {
  if (!existsSync(modelsDir)) return [];
  const entries = await readdir(modelsDir, { withFileTypes: true });
  const dirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  return Promise.all(dirs.map((d) => readModelRow(path.join(modelsDir, d))));
}
