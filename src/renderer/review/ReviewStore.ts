/**
 * The Review screen's model, outside React (like DatasetsStore): pickers, the current run and its streamed
 * results, threshold / overlay settings, the selected image and the reviewer's decisions. The threshold slider
 * writes here at pointer rate; components select small slices (counts, the selected row) so a slider move
 * re-renders only what depends on it.
 *
 * Published for the Annotate screen: `runId` and `selectedPath` say which map the user is looking at; load it
 * with loadAnomalyMap (./anomalyMaps.ts).
 */
import type { StudioClient } from '../../shared/client.js';
import type { DecisionKind, ReviewModelEntry, ReviewResult, ReviewRun } from '../../shared/contract/review.js';
import type { DatasetSummary, Split } from '../../shared/dataset.js';
import type { ColormapName } from '../editor/render/heatmapOverlay.js';
import { Store } from '../state/store.js';
import { loadBitmap } from '../viewer/loadImage.js';
import { loadMapFile } from './anomalyMaps.js';

export interface ReviewState {
  models: ReviewModelEntry[];
  datasets: DatasetSummary[];
  runs: ReviewRun[];
  modelDir: string | null;
  datasetId: string | null;
  split: Split | null;
  runId: string | null;
  run: ReviewRun | null;
  /** Sorted by score, highest first; failed images (no score) last. */
  results: ReviewResult[];
  threshold: number;
  opacity: number;
  colormap: ColormapName;
  showContour: boolean;
  selectedPath: string | null;
  starting: boolean;
  error: string | null;
}

export interface LoadedMap {
  values: Float32Array;
  width: number;
  height: number;
}

const MAP_CACHE = 10;
/**
 * Decoded pictures kept (the top of the list, the shown one, its neighbours, the last few): a decoded 1024²
 * image is 4 MB.
 */
const IMAGE_CACHE = 8;
/** Rows at the top of the sorted list decoded ahead once a run is complete: where a reviewer clicks first. */
export const TOP_PRELOAD = 4;

/** Most-recently-used cache of promises: a hit moves to the end, the oldest beyond `limit` are dropped, a failure is forgotten. */
function cached<V>(cache: Map<string, Promise<V>>, key: string, limit: number, make: () => Promise<V>): Promise<V> {
  let p = cache.get(key);
  if (p) {
    cache.delete(key);
    cache.set(key, p);
    return p;
  }
  p = make();
  p.catch(() => cache.delete(key));
  cache.set(key, p);
  while (cache.size > limit) cache.delete(cache.keys().next().value as string);
  return p;
}

function byScore(a: ReviewResult, b: ReviewResult): number {
  if (a.score === null || b.score === null) return a.score === null ? (b.score === null ? a.path.localeCompare(b.path) : 1) : -1;
  return b.score - a.score || a.path.localeCompare(b.path);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class ReviewStore extends Store<ReviewState> {
  /** Decoded maps by file, most recent last (small LRU: a 1024² map is 4 MB). */
  private readonly maps = new Map<string, Promise<LoadedMap>>();
  /** Decoded images by URL (the run's JPEG views and originals). */
  private readonly images = new Map<string, Promise<ImageBitmap>>();
  private unsubscribe: (() => void) | null = null;
  /** Results that arrived since the last re-sort; batched so a fast run re-sorts once per frame, not per image. */
  private pending: ReviewResult[] = [];
  private flushScheduled = false;
  /** The run whose top rows were preloaded (once per run). */
  private toppedRun: string | null = null;

  constructor(private readonly client: StudioClient) {
    super({
      models: [],
      datasets: [],
      runs: [],
      modelDir: null,
      datasetId: null,
      split: null,
      runId: null,
      run: null,
      results: [],
      threshold: 0,
      opacity: 0.5,
      colormap: 'jet',
      showContour: true,
      selectedPath: null,
      starting: false,
      error: null,
    });
  }

  private patch(p: Partial<ReviewState>): void {
    this.set({ ...this.get(), ...p });
  }

  /** Loads the pickers' lists and subscribes to run events (once). */
  async refresh(): Promise<void> {
    if (!this.unsubscribe) {
      const offResult = this.client.on('review.result', (e) => {
        if (e.runId !== this.get().runId) return;
        this.pending.push(e.result);
        this.scheduleFlush();
      });
      const offProgress = this.client.on('review.progress', (e) => {
        const s = this.get();
        if (e.runId !== s.runId || !s.run) return;
        this.patch({ run: { ...s.run, status: e.status, done: e.done, total: e.total, error: e.error } });
        if (e.status !== 'running') {
          void this.reloadRuns();
          void this.fillMissing(e.runId, e.done);
          this.maybePreloadTop();
        }
      });
      this.unsubscribe = () => (offResult(), offProgress());
    }
    try {
      const [models, datasets, runs] = await Promise.all([
        this.client.invoke('review.models', {}),
        this.client.invoke('datasets.list', {}),
        this.client.invoke('review.runs', {}),
      ]);
      const s = this.get();
      const usable = models.filter((m) => !m.error);
      this.patch({
        models,
        datasets,
        runs,
        modelDir: s.modelDir && models.some((m) => m.dir === s.modelDir) ? s.modelDir : (usable[0]?.dir ?? null),
        datasetId: s.datasetId && datasets.some((d) => d.id === s.datasetId) ? s.datasetId : (datasets[0]?.id ?? null),
      });
    } catch (e) {
      this.patch({ error: message(e) });
    }
  }

  /**
   * Results the stream did not deliver (a fast run emits its first results before review.run's answer told us the
   * run id, and those events were dropped): fetched from the stored run once it has finished, merged like events.
   */
  private async fillMissing(runId: string, done: number): Promise<void> {
    if (this.get().results.length + this.pending.length >= done) return;
    try {
      const { results } = await this.client.invoke('review.results', { runId });
      if (this.get().runId !== runId) return;
      const known = new Set(this.get().results.map((r) => r.path));
      this.pending.push(...results.filter((r) => !known.has(r.path)));
      this.scheduleFlush();
    } catch {
      /* the streamed results stay; reopening the run lists all of them */
    }
  }

  private async reloadRuns(): Promise<void> {
    try {
      this.patch({ runs: await this.client.invoke('review.runs', {}) });
    } catch {
      /* the list is a convenience; the current run is already shown */
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const run = () => {
      this.flushScheduled = false;
      const s = this.get();
      const incoming = new Map(this.pending.map((r) => [r.path, r]));
      this.pending = [];
      const merged = s.results.filter((r) => !incoming.has(r.path)).concat([...incoming.values()]).sort(byScore);
      this.patch({ results: merged, selectedPath: s.selectedPath ?? merged[0]?.path ?? null });
      this.maybePreloadTop();
    };
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(run);
    else setTimeout(run, 16);
  }

  setModel(modelDir: string | null): void {
    this.patch({ modelDir });
  }

  setDataset(datasetId: string | null): void {
    this.patch({ datasetId });
  }

  setSplit(split: Split | null): void {
    this.patch({ split });
  }

  dismissError(): void {
    this.patch({ error: null });
  }

  /** Runs the chosen model on the chosen dataset; a finished identical run opens from its cache. */
  async start(force = false): Promise<void> {
    const s = this.get();
    if (!s.modelDir || !s.datasetId) {
      this.patch({ error: 'Choose a model and a dataset first.' });
      return;
    }
    this.patch({ starting: true, error: null });
    try {
      const r = await this.client.invoke('review.run', { modelDir: s.modelDir, datasetId: s.datasetId, split: s.split, force });
      if (r.cached) await this.open(r.runId);
      else this.show(r.run, []);
      void this.reloadRuns();
    } catch (e) {
      this.patch({ error: message(e) });
    } finally {
      this.patch({ starting: false });
    }
  }

  async cancel(): Promise<void> {
    const { runId } = this.get();
    if (!runId) return;
    try {
      await this.client.invoke('review.cancel', { runId });
    } catch (e) {
      this.patch({ error: message(e) });
    }
  }

  /** Opens a stored run (instant: scores and decisions only; maps load when an image is selected). */
  async open(runId: string): Promise<void> {
    try {
      const { run, results } = await this.client.invoke('review.results', { runId });
      this.show(run, results);
    } catch (e) {
      this.patch({ error: message(e) });
    }
  }

  private show(run: ReviewRun, results: ReviewResult[]): void {
    const sorted = [...results].sort(byScore);
    this.pending = [];
    this.toppedRun = null;
    this.maps.clear();
    this.images.clear();
    this.patch({
      runId: run.runId,
      run,
      results: sorted,
      threshold: run.threshold,
      selectedPath: sorted[0]?.path ?? null,
      modelDir: run.modelDir,
      datasetId: run.datasetId,
      split: run.split,
    });
    this.maybePreloadTop();
  }

  setThreshold(threshold: number): void {
    if (Number.isFinite(threshold)) this.patch({ threshold });
  }

  setOpacity(opacity: number): void {
    this.patch({ opacity: Math.min(1, Math.max(0, opacity)) });
  }

  setColormap(colormap: ColormapName): void {
    this.patch({ colormap });
  }

  toggleContour(): void {
    this.patch({ showContour: !this.get().showContour });
  }

  select(path: string | null): void {
    this.patch({ selectedPath: path });
  }

  /** Moves the selection through the sorted list. */
  step(delta: number): void {
    const s = this.get();
    if (s.results.length === 0) return;
    const i = s.results.findIndex((r) => r.path === s.selectedPath);
    const next = Math.min(s.results.length - 1, Math.max(0, (i < 0 ? 0 : i + delta)));
    this.patch({ selectedPath: s.results[next].path });
  }

  selected(): ReviewResult | null {
    const s = this.get();
    return s.results.find((r) => r.path === s.selectedPath) ?? null;
  }

  /** Stores a decision on the selected image (null clears it); the list updates when the main process confirms. */
  async decide(kind: DecisionKind | null, label: string | null = null): Promise<void> {
    const s = this.get();
    const r = this.selected();
    if (!s.runId || !r) return;
    try {
      const out = await this.client.invoke('review.decide', { runId: s.runId, path: r.path, decision: kind, label });
      const now = this.get();
      if (now.runId !== s.runId) return;
      this.patch({ results: now.results.map((x) => (x.path === out.path ? { ...x, decision: out.decision } : x)) });
    } catch (e) {
      this.patch({ error: message(e) });
    }
  }

  /** The decoded map a result is drawn with: its preview when it has one (cached per run). */
  map(result: ReviewResult): Promise<LoadedMap> {
    const { run } = this.get();
    const key = result.previewFile ?? result.mapFile;
    if (!key || !run) return Promise.reject(new Error(result.error ?? `${result.path} has no anomaly map.`));
    return cached(this.maps, key, MAP_CACHE, () => loadMapFile(this.client, key, run.mapMaxValue));
  }

  /**
   * Where a result's picture comes from: `first` is shown at once (the run's JPEG view when it has one), `full` is
   * the original that replaces it (the same URL when there is no view).
   */
  imageUrls(result: ReviewResult): { first: string; full: string } | null {
    const { run } = this.get();
    if (!run) return null;
    const full = this.client.assetUrl({ kind: 'image', datasetId: run.datasetId, path: result.path });
    return { first: result.viewFile ? this.client.assetUrl({ kind: 'file', path: result.viewFile }) : full, full };
  }

  /**
   * A decoded picture by URL, cached per run unless `keep` is false (originals that replace a view: a decoded
   * 4096² original is 64 MB, so only the ≤ 1024 px views, or originals without a view, are kept).
   */
  image(url: string, label: string, keep = true): Promise<ImageBitmap> {
    return keep ? cached(this.images, url, IMAGE_CACHE, () => loadBitmap(url, label)) : loadBitmap(url, label);
  }

  /**
   * Warms what showing a result first needs (its map and first picture), e.g. for the rows next to the selection;
   * resolves when both are decoded (or failed: a preload never reports, the selection will).
   */
  preload(result: ReviewResult): Promise<void> {
    const urls = this.imageUrls(result);
    if (!urls || !result.mapFile) return Promise.resolve();
    return Promise.all([this.map(result), this.image(urls.first, result.path)]).then(
      () => undefined,
      () => undefined,
    );
  }

  /** Once a run is complete (finished, every result listed, nothing pending): preloads its top rows once. */
  private maybePreloadTop(): void {
    const { run, results } = this.get();
    if (!run || run.status !== 'done' || this.toppedRun === run.runId || this.pending.length > 0 || results.length < run.done) return;
    this.toppedRun = run.runId;
    this.preloadTop(run.runId);
  }

  /**
   * Decodes the first `TOP_PRELOAD` rows of a complete run one after another, in idle time, so the rows a reviewer
   * clicks first (the highest scores) show without a fetch. One at a time and only when idle: a click meanwhile
   * gets the CPU and the network first. Stops when the run is replaced.
   */
  private preloadTop(runId: string): void {
    const idle = (fn: () => void) => (typeof requestIdleCallback === 'function' ? requestIdleCallback(fn, { timeout: 500 }) : setTimeout(fn, 50));
    const top = this.get().results.filter((r) => r.mapFile).slice(0, TOP_PRELOAD);
    const next = (i: number) => {
      if (i >= top.length || this.get().runId !== runId) return;
      idle(() => {
        if (this.get().runId !== runId) return;
        void this.preload(top[i]).then(() => next(i + 1));
      });
    };
    next(0);
  }

  /** The results before and after `path` in the sorted list (what J / K would show next). */
  neighbours(path: string): ReviewResult[] {
    const { results } = this.get();
    const i = results.findIndex((r) => r.path === path);
    return i < 0 ? [] : [results[i + 1], results[i - 1]].filter((r): r is ReviewResult => r !== undefined);
  }

  dispose(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}

/**
 * One ReviewStore per client for the page's lifetime, so the run, threshold and selection survive switching
 * screens without App.tsx holding Review's objects, and the Annotate screen can read the same instance:
 * `reviewStoreFor(client).get()` → `{ runId, selectedPath, threshold }`.
 */
const storesByClient = new WeakMap<StudioClient, ReviewStore>();

export function reviewStoreFor(client: StudioClient): ReviewStore {
  let s = storesByClient.get(client);
  if (!s) storesByClient.set(client, (s = new ReviewStore(client)));
  return s;
}
