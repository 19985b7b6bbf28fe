/**
 * On-disk layout of one inspection run, <workspace>/results/<runId>/:
 *   run.json        the run's summary (model, dataset, status, counts): written at start, on progress, at the end
 *   results.json    per-image scores and map files, rewritten (atomically) as results stream in
 *   decisions.json  the reviewer's accept / reject / relabel per image, kept apart so re-running never loses them
 *   maps/<image path>.png     16-bit anomaly maps at image resolution (src/main/models/mapPng.ts)
 *   preview/<image path>.png  the same, box-averaged to ≤ PREVIEW_MAX_SIDE px, for drawing
 *   view/<hash>.jpg  the image as a JPEG of ≤ VIEW_MAX_SIDE px, what the screen shows first (data/thumbnails.ts)
 * Reopening a finished run reads these three JSON files and nothing else: no model, no inference.
 */
import path from 'node:path';
import { z } from 'zod';
import { Decision, ReviewResult, ReviewRun } from '../../shared/contract/review.js';
import { StudioError } from '../../shared/errors.js';
import { readJsonFile, writeJsonAtomic } from '../workspace/atomicWrite.js';

/** A result as stored: the decision lives in decisions.json, the map file is relative to the run folder. */
export const StoredResult = ReviewResult.omit({ decision: true, mapFile: true, previewFile: true, viewFile: true }).extend({
  map: z.string().nullable(),
  preview: z.string().nullable().default(null),
  view: z.string().nullable().default(null),
});
export type StoredResult = z.infer<typeof StoredResult>;

const Results = z.array(StoredResult);
const Decisions = z.record(z.string(), Decision);
export type Decisions = z.infer<typeof Decisions>;

export class RunFolder {
  constructor(readonly dir: string) {}

  static id(runId: string): void {
    // Run ids are ours (hex); anything else would let a caller name a folder outside results/.
    if (!/^[0-9a-f]{8,64}$/.test(runId)) throw new StudioError('BAD_REQUEST', `"${runId}" is not a review run id (hex digits).`);
  }

  get runFile(): string {
    return path.join(this.dir, 'run.json');
  }

  mapRel(imagePath: string): string {
    return `maps/${imagePath}.png`;
  }

  previewRel(imagePath: string): string {
    return `preview/${imagePath}.png`;
  }

  /** Folder of the JPEG view copies (file names are data/thumbnails.ts cache keys). */
  get viewDir(): string {
    return path.join(this.dir, 'view');
  }

  /** An absolute path inside the run folder as stored (relative, forward slashes). */
  rel(abs: string): string {
    return path.relative(this.dir, abs).split(path.sep).join('/');
  }

  mapAbs(rel: string): string {
    return path.join(this.dir, ...rel.split('/'));
  }

  async readRun(): Promise<ReviewRun | null> {
    return readJsonFile(this.runFile, ReviewRun.nullable(), null);
  }

  writeRun(run: ReviewRun): Promise<void> {
    return writeJsonAtomic(this.runFile, run);
  }

  readResults(): Promise<StoredResult[]> {
    return readJsonFile(path.join(this.dir, 'results.json'), Results, []);
  }

  writeResults(results: readonly StoredResult[]): Promise<void> {
    return writeJsonAtomic(path.join(this.dir, 'results.json'), results);
  }

  readDecisions(): Promise<Decisions> {
    return readJsonFile(path.join(this.dir, 'decisions.json'), Decisions, {});
  }

  writeDecisions(d: Decisions): Promise<void> {
    return writeJsonAtomic(path.join(this.dir, 'decisions.json'), d);
  }

  /** The contract's view of a stored result. */
  toResult(r: StoredResult, decisions: Decisions): ReviewResult {
    const { map, preview, view, ...rest } = r;
    return {
      ...rest,
      mapFile: map ? this.mapAbs(map) : null,
      previewFile: preview ? this.mapAbs(preview) : null,
      viewFile: view ? this.mapAbs(view) : null,
      decision: decisions[r.path] ?? null,
    };
  }
}
