/**
 * Model folders under <workspace>/models/ for the Review screen's picker. A folder that cannot be used (no
 * model.json, invalid JSON, foreign ONNX) is listed with the reason instead of hidden, so the user learns why
 * the model they trained is not offered.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ReviewModelEntry } from '../../shared/contract/review.js';
import { StudioError, toStudioError } from '../../shared/errors.js';
import { ModelJson } from '../models/modelFolder.js';

/**
 * model.json only: listing must stay fast with many large models. The ONNX file itself is checked when a run
 * loads it (AnomalyModel.load → readModelFolder), which names the problem the same way.
 */
export async function readModelJson(dir: string): Promise<ModelJson> {
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

export async function listModelFolders(modelsDir: string): Promise<ReviewModelEntry[]> {
  let names: string[];
  try {
    names = (await readdir(modelsDir, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw toStudioError(e);
  }
  const entries = await Promise.all(
    names.sort().map(async (name): Promise<ReviewModelEntry> => {
      const dir = path.join(modelsDir, name);
      try {
        const json = await readModelJson(dir);
        return { dir, name, method: json.method, backbone: json.backbone.name, threshold: json.threshold, createdAt: json.createdAt, error: null };
      } catch (e) {
        return { dir, name, method: null, backbone: null, threshold: null, createdAt: null, error: toStudioError(e).message };
      }
    }),
  );
  return entries;
}
