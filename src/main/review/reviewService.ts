/**
 * Inspection runs for the Review screen: a model folder over an opened dataset's images, in the main process.
 * Each image's score and 16-bit map are written under <workspace>/results/<runId>/ (see runFolder.ts) and
 * streamed as events; a finished run of the same model + dataset + split is returned as is (cached), so
 * reopening it costs three small JSON reads. Runs are cancellable; decisions are stored beside the results.
 *
 * One instance per app (the router module owns it): the in-flight runs live here, never in a module global.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { PREVIEW_MAX_SIDE, VIEW_MAX_SIDE, type Decision, type DecisionKind, type ReviewModelEntry, type ReviewResult, type ReviewRun } from '../../shared/contract/review.js';
import type { ImageRecord, Split } from '../../shared/dataset.js';
import { StudioError, toStudioError } from '../../shared/errors.js';
import { ThumbnailCache } from '../data/thumbnails.js';
import { AnomalyModel } from '../models/inference.js';
import { writeMapPng } from '../models/mapPng.js';
import { listModelFolders } from './modelList.js';
import { boxDownsample } from './preview.js';
import { RunFolder, type StoredResult } from './runFolder.js';
import { decodeForModelAndView } from './viewImage.js';

/** What the service needs from the rest of the app (the router module adapts DomainDeps to this). */
export interface ReviewServiceDeps {
  resultsDir: string;
  modelsDir: string;
  dataset(datasetId: string): Promise<{ root: string; name: string; images: ImageRecord[] }>;
  onProgress(p: { runId: string; status: ReviewRun['status']; done: number; total: number; error: string | null }): void;
  onResult(runId: string, result: ReviewResult): void;
  /** Loads a model folder; tests and benches may pass their own (default AnomalyModel.load). */
  loadModel?: (dir: string) => Promise<AnomalyModel>;
}

interface Active {
  controller: AbortController;
  done: Promise<void>;
}

/** JPEG quality of the view copies. */
const VIEW_QUALITY = 85;

/** How often results.json is rewritten while a run streams (a crash loses at most this much work). */
const FLUSH_MS = 1000;

export class ReviewService {
  private readonly active = new Map<string, Active>();
  /** Serialises decision writes per run so two quick keys never lose one. */
  private readonly decisionQueue = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: ReviewServiceDeps) {}

  listModels(): Promise<ReviewModelEntry[]> {
    return listModelFolders(this.deps.modelsDir);
  }

  private folder(runId: string): RunFolder {
    RunFolder.id(runId);
    return new RunFolder(path.join(this.deps.resultsDir, runId));
  }

  /** Same model version + dataset + split → same id, so a finished run is found again instead of recomputed. */
  static runId(modelDir: string, modelCreatedAt: string, datasetRoot: string, split: Split | null): string {
    return createHash('sha1').update(JSON.stringify([path.resolve(modelDir), modelCreatedAt, path.resolve(datasetRoot), split])).digest('hex').slice(0, 16);
  }

  async start(req: { modelDir: string; datasetId: string; split: Split | null; force: boolean }): Promise<{ runId: string; cached: boolean; run: ReviewRun }> {
    const modelDir = path.resolve(req.modelDir);
    const ds = await this.deps.dataset(req.datasetId);
    // Loading checks the folder (model.json, ONNX metadata, outputs) and names what is wrong before any work.
    const model = await (this.deps.loadModel ?? AnomalyModel.load)(modelDir);
    const runId = ReviewService.runId(modelDir, model.json.createdAt, ds.root, req.split);
    const folder = this.folder(runId);
    const running = this.active.get(runId);
    const existing = await folder.readRun().catch(() => null);
    if (running && existing) {
      await model.release();
      return { runId, cached: true, run: existing };
    }
    if (existing?.status === 'done' && !req.force) {
      await model.release();
      return { runId, cached: true, run: existing };
    }
    const images = ds.images.filter((r) => req.split === null || r.split === req.split).sort((a, b) => a.path.localeCompare(b.path));
    if (images.length === 0) {
      await model.release();
      throw new StudioError('INVALID_STATE', `Dataset ${ds.name} has no images${req.split ? ` in split "${req.split}"` : ''} to inspect.`);
    }
    if (existsSync(folder.dir)) {
      await rm(path.join(folder.dir, 'maps'), { recursive: true, force: true });
      await rm(path.join(folder.dir, 'preview'), { recursive: true, force: true });
      await rm(folder.viewDir, { recursive: true, force: true });
    }
    const run: ReviewRun = {
      runId,
      modelDir,
      modelName: path.basename(modelDir),
      method: model.json.method,
      datasetId: req.datasetId,
      datasetRoot: ds.root,
      datasetName: ds.name,
      split: req.split,
      threshold: model.json.threshold,
      mapMaxValue: model.json.mapPng.maxValue,
      createdAt: new Date().toISOString(),
      status: 'running',
      done: 0,
      total: images.length,
      error: null,
    };
    await folder.writeRun(run);
    await folder.writeResults([]);
    const controller = new AbortController();
    const done = this.inspect(folder, run, model, images, controller.signal).finally(() => this.active.delete(runId));
    this.active.set(runId, { controller, done });
    return { runId, cached: false, run };
  }

  private async inspect(folder: RunFolder, run: ReviewRun, model: AnomalyModel, images: ImageRecord[], signal: AbortSignal): Promise<void> {
    const results: StoredResult[] = [];
    let lastFlush = Date.now();
    const decisions = await folder.readDecisions().catch(() => ({}));
    const emit = () => this.deps.onProgress({ runId: run.runId, status: run.status, done: run.done, total: run.total, error: run.error });
    // The JPEG view copies the screen shows first; one sharp pipeline at a time, beside the model's work.
    const views = new ThumbnailCache({ cacheDir: folder.viewDir, size: VIEW_MAX_SIDE, quality: VIEW_QUALITY, concurrency: 1 });
    try {
      for (const rec of images) {
        if (signal.aborted) {
          run.status = 'cancelled';
          break;
        }
        const stored = await this.inspectOne(folder, run, model, rec, views);
        results.push(stored);
        run.done++;
        this.deps.onResult(run.runId, folder.toResult(stored, decisions));
        emit();
        if (Date.now() - lastFlush > FLUSH_MS) {
          lastFlush = Date.now();
          await folder.writeResults(results);
          await folder.writeRun(run);
        }
      }
      if (run.status === 'running') run.status = 'done';
    } catch (e) {
      run.status = 'failed';
      run.error = toStudioError(e).message;
    } finally {
      await model.release().catch(() => undefined);
    }
    try {
      await folder.writeResults(results);
      await folder.writeRun(run);
    } catch (e) {
      run.status = 'failed';
      run.error = toStudioError(e).message;
    }
    emit();
  }

  /** One image; a missing or unreadable image becomes a result with an error, not a failed run. */
  private async inspectOne(folder: RunFolder, run: ReviewRun, model: AnomalyModel, rec: ImageRecord, views: ThumbnailCache): Promise<StoredResult> {
    const base = { path: rec.path, split: rec.split, label: rec.label, width: rec.width, height: rec.height };
    const file = path.join(run.datasetRoot, ...rec.path.split('/'));
    if (!existsSync(file)) {
      return { ...base, score: null, map: null, preview: null, view: null, error: `${rec.path} was deleted or moved since the dataset was scanned; rescan the dataset.` };
    }
    // One decode for the model's input and the view where that is exact (8-bit PNG), else each decodes the file.
    const pixels = await decodeForModelAndView(file);
    const source = { absPath: file, bytes: rec.bytes, mtimeMs: rec.mtimeMs };
    // Encoded while the model runs (sharp works on libuv's pool); a view that fails only costs the fast first paint.
    const view = (pixels ? views.put(source, pixels) : views.get(source))
      .then((abs) => folder.rel(abs))
      .catch(() => null);
    let r: Awaited<ReturnType<AnomalyModel['inferFile']>>;
    try {
      r = await model.inferFile(pixels ?? file, file);
    } catch (e) {
      const err = toStudioError(e);
      // A write or runtime failure is the run's problem; a bad image is only this image's.
      if (err.code === 'IO_ERROR' || err.code === 'INTERNAL') throw err;
      await view;
      return { ...base, score: null, map: null, preview: null, view: null, error: `${rec.path}: ${err.message}` };
    }
    const map = folder.mapRel(rec.path);
    const { width, height } = r.geometry;
    await writeMapPng(folder.mapAbs(map), r.imageMap, width, height, run.mapMaxValue);
    let preview: string | null = null;
    if (Math.max(width, height) > PREVIEW_MAX_SIDE) {
      const small = boxDownsample(r.imageMap, width, height, PREVIEW_MAX_SIDE);
      preview = folder.previewRel(rec.path);
      await writeMapPng(folder.mapAbs(preview), small.data, small.width, small.height, run.mapMaxValue);
    }
    return { ...base, width, height, score: r.score, map, preview, view: await view, error: null };
  }

  async cancel(runId: string): Promise<void> {
    const a = this.active.get(runId);
    if (!a) {
      await this.run(runId); // NOT_FOUND for an unknown id; a finished run has nothing to cancel
      return;
    }
    a.controller.abort();
    await a.done;
  }

  /** Waits for a run in flight to finish (tests, the bench). */
  async settled(runId: string): Promise<void> {
    await this.active.get(runId)?.done;
  }

  async run(runId: string): Promise<ReviewRun> {
    const folder = this.folder(runId);
    const run = await folder.readRun();
    if (!run) throw new StudioError('NOT_FOUND', `No review run ${runId} in ${this.deps.resultsDir}; start one with review.run.`);
    // A run left "running" by a killed app is not running any more.
    if (run.status === 'running' && !this.active.has(runId)) return { ...run, status: 'cancelled', error: run.error ?? 'The app stopped while this run was in progress; run it again to finish it.' };
    return run;
  }

  async listRuns(): Promise<ReviewRun[]> {
    let ids: string[];
    try {
      ids = (await readdir(this.deps.resultsDir)).filter((n) => /^[0-9a-f]{8,64}$/.test(n));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw toStudioError(e);
    }
    const runs = await Promise.all(ids.map((id) => this.run(id).catch(() => null)));
    return runs.filter((r): r is ReviewRun => r !== null).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async results(runId: string): Promise<{ run: ReviewRun; results: ReviewResult[] }> {
    const run = await this.run(runId);
    const folder = this.folder(runId);
    const [stored, decisions] = await Promise.all([folder.readResults(), folder.readDecisions()]);
    return { run, results: stored.map((r) => folder.toResult(r, decisions)) };
  }

  async decide(runId: string, imagePath: string, kind: DecisionKind | null, label: string | null): Promise<{ path: string; decision: Decision | null }> {
    await this.run(runId);
    if (kind === 'relabel' && !label) throw new StudioError('BAD_REQUEST', `Relabelling ${imagePath} needs the new label (e.g. "good" or a defect name).`);
    const folder = this.folder(runId);
    const decision: Decision | null = kind ? { kind, label: kind === 'relabel' ? label : null, at: new Date().toISOString() } : null;
    const prev = this.decisionQueue.get(runId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(async () => {
      const d = await folder.readDecisions();
      if (decision) d[imagePath] = decision;
      else delete d[imagePath];
      await folder.writeDecisions(d);
    });
    this.decisionQueue.set(runId, next);
    await next;
    return { path: imagePath, decision };
  }

  async mapInfo(runId: string, imagePath: string): Promise<{ mapFile: string; mapMaxValue: number; threshold: number; width: number; height: number }> {
    const { run, results } = await this.results(runId);
    const r = results.find((x) => x.path === imagePath);
    if (!r) throw new StudioError('NOT_FOUND', `Run ${runId} has no result for ${imagePath}${run.status === 'running' ? ' yet (the run is still going)' : ''}.`);
    if (!r.mapFile) throw new StudioError('NOT_FOUND', `Run ${runId} has no anomaly map for ${imagePath}: ${r.error ?? 'the image failed'}.`);
    try {
      await stat(r.mapFile);
    } catch {
      throw new StudioError('NOT_FOUND', `The anomaly map ${r.mapFile} was deleted; run the model again (review.run with force).`);
    }
    return { mapFile: r.mapFile, mapMaxValue: run.mapMaxValue, threshold: run.threshold, width: r.width, height: r.height };
  }

  async dispose(): Promise<void> {
    const all = [...this.active.values()];
    for (const a of all) a.controller.abort();
    await Promise.all(all.map((a) => a.done.catch(() => undefined)));
  }
}
