/**
 * Model folders under <workspace>/models/ for the Review screen's picker. A folder that cannot be used (no
 * model.json, invalid JSON, foreign ONNX) is listed with the reason instead of hidden, so the user learns why
 * the model they trained is not offered.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ReviewModelEntry } from '../../shared/contract/review.js';
import { toStudioError } from '../../shared/errors.js';
import { readModelJson } from '../models/modelFolder.js';

/** model.json only (fast with many large models); the ONNX file is checked when a run loads it. */
export { readModelJson };

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
