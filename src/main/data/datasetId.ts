import { createHash } from 'node:crypto';
import path from 'node:path';

/** Stable id of a dataset: a hash of its absolute root (case-folded on Windows, where paths are case-insensitive). */
export function datasetId(root: string, platform: NodeJS.Platform = process.platform): string {
  const abs = path.resolve(root).replace(/[\\/]+$/, '') || path.sep;
  const key = platform === 'win32' ? abs.toLowerCase() : abs;
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}
