/**
 * The Datasets screen's model: which datasets are known, which one is current, its filter, the filtered image
 * list and which image the viewer shows. Plain TypeScript over the API client and Dexie; React components read
 * slices through useStoreValue and call these methods. Every change the user would expect to survive a restart
 * is written to Dexie here, at the point where it happens.
 */
import type { StudioClient } from '../../shared/client.js';
import type { DatasetLayout, DatasetSummary, ImageFilter, ImageRecord } from '../../shared/dataset.js';
import type { StudioDb } from '../db.js';
import { Store } from './store.js';

interface EntryBase {
  id: string;
  root: string;
  name: string;
  layout: DatasetLayout;
  total: number;
}
export type DatasetEntry =
  | (EntryBase & { status: 'ready'; summary: DatasetSummary })
  | (EntryBase & { status: 'reopening' })
  | (EntryBase & { status: 'missing'; error: string });

export interface DatasetsState {
  /** Set once the remembered and server-side lists have been merged. */
  initialised: boolean;
  entries: DatasetEntry[];
  currentId: string | null;
  filter: ImageFilter;
  images: ImageRecord[];
  imagesTotal: number;
  imagesLoading: boolean;
  /** Index into `images` of the image in the viewer; null shows the grid. */
  viewerIndex: number | null;
  /** Image last shown in the viewer, kept after closing it so that the grid can highlight and scroll to it. */
  lastIndex: number | null;
  opening: boolean;
  /** Progress of the scan behind `opening`, from the dataset.scanProgress event; null before the first event. */
  scanProgress: { scanned: number; total: number | null } | null;
  /** Last failed action, as the sentence the main process sent. */
  error: string | null;
}

const PAGE = 5000;

function entryOf(summary: DatasetSummary): DatasetEntry {
  const { id, root, name, layout, total } = summary;
  return { id, root, name, layout, total, status: 'ready', summary };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class DatasetsStore extends Store<DatasetsState> {
  /** Drops responses of superseded image-list requests (filter changed while a page was loading). */
  private imagesRequest = 0;
  private restoreImage: string | null = null;

  constructor(
    private readonly client: StudioClient,
    private readonly db: StudioDb,
  ) {
    super({
      initialised: false,
      entries: [],
      currentId: null,
      filter: {},
      images: [],
      imagesTotal: 0,
      imagesLoading: false,
      viewerIndex: null,
      lastIndex: null,
      opening: false,
      scanProgress: null,
      error: null,
    });
  }

  current(): DatasetEntry | null {
    const s = this.get();
    return s.entries.find((e) => e.id === s.currentId) ?? null;
  }

  private initialising: Promise<void> | null = null;

  /** Merges what Dexie remembers with what the server has open, and re-opens remembered roots it lacks. Idempotent. */
  init(): Promise<void> {
    this.initialising ??= this.doInit();
    return this.initialising;
  }

  private async doInit(): Promise<void> {
    const [remembered, ui, onServer] = await Promise.all([
      this.db.listDatasets(),
      this.db.loadUi(),
      this.client.invoke('datasets.list', {}).catch((e: unknown) => {
        this.patch({ error: message(e) });
        return [] as DatasetSummary[];
      }),
    ]);
    const serverById = new Map(onServer.map((d) => [d.id, d]));
    const entries: DatasetEntry[] = remembered.map((r) => {
      const summary = serverById.get(r.id);
      return summary ? entryOf(summary) : { id: r.id, root: r.root, name: r.name, layout: r.layout, total: r.total, status: 'reopening' as const };
    });
    for (const d of onServer) {
      if (!entries.some((e) => e.id === d.id)) {
        entries.push(entryOf(d));
        void this.db.rememberDataset({ id: d.id, root: d.root, name: d.name, layout: d.layout, total: d.total });
      }
    }
    const wanted = ui.currentDatasetId && entries.some((e) => e.id === ui.currentDatasetId) ? ui.currentDatasetId : (entries[0]?.id ?? null);
    this.patch({ entries, initialised: true });
    if (wanted) {
      const r = remembered.find((x) => x.id === wanted);
      if (ui.viewerOpen && r?.lastImage) this.restoreImage = r.lastImage;
    }
    // Re-open in order so the current dataset is ready first; failures mark the entry missing with the reason.
    const reopen = entries.filter((e) => e.status === 'reopening').sort((a, b) => Number(b.id === wanted) - Number(a.id === wanted));
    if (wanted) {
      const first = reopen[0]?.id === wanted ? reopen.shift() : undefined;
      if (first) await this.reopen(first);
      await this.select(wanted);
    }
    for (const e of reopen) await this.reopen(e);
  }

  private async reopen(e: DatasetEntry): Promise<void> {
    try {
      const summary = await this.client.invoke('datasets.open', { root: e.root });
      this.replaceEntry(e.id, entryOf(summary));
      if (summary.id !== e.id) {
        // The server derives ids from the root; if that ever changes, keep the memory consistent.
        await this.db.forgetDataset(e.id);
        await this.db.rememberDataset(summary);
      }
    } catch (err) {
      this.replaceEntry(e.id, { id: e.id, root: e.root, name: e.name, layout: e.layout, total: e.total, status: 'missing', error: message(err) });
    }
  }

  async open(root: string): Promise<void> {
    const trimmed = root.trim();
    if (!trimmed) {
      this.patch({ error: 'Type the absolute path of a dataset folder first.' });
      return;
    }
    this.patch({ opening: true, scanProgress: null, error: null });
    // Large folders take seconds to scan; show how far it got. Events for other roots are ignored by count only,
    // since the server reports the resolved root, which may differ from what was typed.
    const stopProgress = this.client.on('dataset.scanProgress', (p) => this.patch({ scanProgress: { scanned: p.scanned, total: p.total } }));
    try {
      const summary = await this.client.invoke('datasets.open', { root: trimmed });
      await this.db.rememberDataset({ id: summary.id, root: summary.root, name: summary.name, layout: summary.layout, total: summary.total });
      const entries = this.get().entries.filter((e) => e.id !== summary.id);
      this.patch({ entries: [...entries, entryOf(summary)], opening: false, scanProgress: null });
      await this.select(summary.id);
    } catch (e) {
      this.patch({ opening: false, scanProgress: null, error: message(e) });
    } finally {
      stopProgress();
    }
  }

  async rescan(id: string): Promise<void> {
    try {
      const summary = await this.client.invoke('datasets.rescan', { datasetId: id });
      this.replaceEntry(id, entryOf(summary));
      if (this.get().currentId === id) await this.loadImages();
    } catch (e) {
      this.patch({ error: message(e) });
    }
  }

  async retry(id: string): Promise<void> {
    const e = this.get().entries.find((x) => x.id === id);
    if (!e) return;
    this.replaceEntry(id, { id: e.id, root: e.root, name: e.name, layout: e.layout, total: e.total, status: 'reopening' });
    await this.reopen(e);
    if (this.get().currentId === id) await this.select(id);
  }

  /** Forgets a dataset here and closes it on the server; files on disk are untouched. */
  async remove(id: string): Promise<void> {
    await this.client.tryInvoke('datasets.close', { datasetId: id });
    await this.db.forgetDataset(id);
    const entries = this.get().entries.filter((e) => e.id !== id);
    const wasCurrent = this.get().currentId === id;
    this.patch({ entries });
    if (wasCurrent) {
      const next = entries[0]?.id ?? null;
      if (next) await this.select(next);
      else {
        this.patch({ currentId: null, images: [], imagesTotal: 0, viewerIndex: null, lastIndex: null });
        void this.db.saveUi({ currentDatasetId: null, viewerOpen: false });
      }
    }
  }

  async select(id: string): Promise<void> {
    const remembered = (await this.db.datasets.get(id)) ?? null;
    this.patch({ currentId: id, filter: remembered?.filter ?? {}, viewerIndex: null, lastIndex: null, images: [], imagesTotal: 0 });
    void this.db.saveUi({ currentDatasetId: id });
    await this.loadImages();
  }

  async setFilter(patch: Partial<ImageFilter>): Promise<void> {
    const filter: ImageFilter = { ...this.get().filter, ...patch };
    for (const k of Object.keys(filter) as (keyof ImageFilter)[]) if (filter[k] === undefined) delete filter[k];
    this.patch({ filter, viewerIndex: null, lastIndex: null });
    const id = this.get().currentId;
    if (id) void this.db.saveDatasetView(id, { filter, lastImage: null });
    void this.db.saveUi({ viewerOpen: false });
    await this.loadImages();
  }

  /** Loads the whole filtered list in pages: records are small (≈200 B), and the grid needs random access. */
  async loadImages(): Promise<void> {
    const { currentId, filter } = this.get();
    const entry = this.current();
    if (!currentId || entry?.status !== 'ready') {
      this.patch({ images: [], imagesTotal: 0, imagesLoading: false });
      return;
    }
    const request = ++this.imagesRequest;
    // A rescan reloads the list under an open viewer: keep showing the same file if it is still there.
    const before = this.get();
    const keepPath = before.viewerIndex !== null ? (before.images[before.viewerIndex]?.path ?? null) : null;
    this.patch({ imagesLoading: true });
    try {
      let images: ImageRecord[] = [];
      let total = Infinity;
      while (images.length < total) {
        const page = await this.client.invoke('datasets.images', { datasetId: currentId, filter, offset: images.length, limit: PAGE });
        if (request !== this.imagesRequest) return;
        total = page.total;
        images = images.concat(page.items);
        // Pages show as they arrive, except under an open viewer, whose index is only valid in the full list.
        if (keepPath === null) this.patch({ images, imagesTotal: total });
        if (page.items.length === 0) break;
      }
      if (keepPath === null) this.patch({ imagesLoading: false });
      else {
        const kept = images.findIndex((i) => i.path === keepPath);
        this.patch({ images, imagesTotal: total, imagesLoading: false, viewerIndex: kept >= 0 ? kept : null });
      }
      if (this.restoreImage) {
        const index = images.findIndex((i) => i.path === this.restoreImage);
        this.restoreImage = null;
        if (index >= 0) this.openImage(index);
      }
    } catch (e) {
      if (request === this.imagesRequest) this.patch({ imagesLoading: false, error: message(e) });
    }
  }

  openImage(index: number): void {
    const { images, currentId } = this.get();
    if (index < 0 || index >= images.length) return;
    this.patch({ viewerIndex: index, lastIndex: index });
    if (currentId) void this.db.saveDatasetView(currentId, { filter: this.get().filter, lastImage: images[index].path });
    void this.db.saveUi({ viewerOpen: true });
  }

  /** Moves the viewer by `delta` within the filtered list; stops at the ends rather than wrapping. */
  step(delta: number): void {
    const { viewerIndex, images } = this.get();
    if (viewerIndex === null) return;
    const next = Math.max(0, Math.min(images.length - 1, viewerIndex + delta));
    if (next !== viewerIndex) this.openImage(next);
  }

  closeViewer(): void {
    this.patch({ viewerIndex: null });
    void this.db.saveUi({ viewerOpen: false });
  }

  dismissError(): void {
    this.patch({ error: null });
  }

  private replaceEntry(id: string, entry: DatasetEntry): void {
    this.patch({ entries: this.get().entries.map((e) => (e.id === id ? entry : e)) });
  }

  private patch(p: Partial<DatasetsState>): void {
    this.set({ ...this.get(), ...p });
  }
}
