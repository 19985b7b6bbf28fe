/**
 * The datasets service behind the `datasets.*` API calls. It keeps the list of opened datasets in the
 * workspace (datasets.json, written atomically) and the scanned image lists in memory; a dataset listed from
 * an earlier session is rescanned on first use (a scan is about a second for 10 000 images).
 * Every file it hands out goes through the path guard, so an image path from the network can never name a
 * file outside the dataset's folder.
 */
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { DatasetSummary, type ImageFilter, type ImageRecord } from '../../shared/dataset.js';
import { StudioError } from '../../shared/errors.js';
import { readJsonFile, writeJsonAtomic } from '../workspace/atomicWrite.js';
import { resolveInside } from '../workspace/pathGuard.js';
import { datasetId } from './datasetId.js';
import { scanDataset, type ScanProgress } from './scan.js';
import { filterImages } from './summary.js';
import type { ThumbnailCache } from './thumbnails.js';

const DatasetsFile = z.object({ version: z.literal(1), datasets: z.array(DatasetSummary) });

export interface DatasetsServiceDeps {
  /** datasets.json in the workspace (workspacePaths(root).datasetsFile). */
  datasetsFile: string;
  thumbnails: ThumbnailCache;
  onProgress?: (p: ScanProgress) => void;
}

interface Opened {
  summary: DatasetSummary;
  images: ImageRecord[];
  byPath: Map<string, ImageRecord>;
}

export class DatasetsService {
  private summaries: DatasetSummary[] | null = null; // loaded from disk on first use
  private readonly opened = new Map<string, Opened>();
  private readonly scans = new Map<string, Promise<Opened>>();
  private writes: Promise<void> = Promise.resolve();
  private readonly maskLabels = new Map<string, boolean>();
  /** Set when datasets.json was unreadable and moved aside; the shell can show it once. */
  recovered: string | null = null;

  constructor(private readonly deps: DatasetsServiceDeps) {}

  async open(root: string): Promise<DatasetSummary> {
    const absRoot = path.resolve(root);
    const o = await this.scan(absRoot);
    return o.summary;
  }

  async list(): Promise<DatasetSummary[]> {
    return [...(await this.load())];
  }

  async rescan(id: string): Promise<DatasetSummary> {
    const s = await this.summary(id);
    return (await this.scan(s.root)).summary;
  }

  async close(id: string): Promise<{ ok: true }> {
    await this.summary(id);
    this.opened.delete(id);
    this.summaries = (await this.load()).filter((d) => d.id !== id);
    await this.persist();
    return { ok: true };
  }

  async images(id: string, filter: ImageFilter = {}, offset = 0, limit = 1000): Promise<{ total: number; items: ImageRecord[] }> {
    const o = await this.ensureScanned(id);
    return filterImages(o.images, filter, offset, limit);
  }

  /** The real absolute path of an image or mask of an opened dataset; FORBIDDEN_PATH for anything else. */
  async resolveFile(id: string, relPath: string): Promise<string> {
    const o = await this.ensureScanned(id);
    return resolveInside([o.summary.root], relPath);
  }

  /** Path of the cached thumbnail of one image, generating it when needed. */
  async thumbnail(id: string, imagePath: string): Promise<string> {
    const o = await this.ensureScanned(id);
    const rec = o.byPath.get(imagePath);
    if (!rec) throw new StudioError('NOT_FOUND', `Image "${imagePath}" is not part of dataset ${o.summary.name} (${o.summary.root}).`);
    const absPath = await resolveInside([o.summary.root], rec.path);
    return this.deps.thumbnails.get({ absPath, bytes: rec.bytes, mtimeMs: rec.mtimeMs });
  }

  private async summary(id: string): Promise<DatasetSummary> {
    const s = (await this.load()).find((d) => d.id === id);
    if (!s) throw new StudioError('NOT_FOUND', `No open dataset has id ${id}; open its folder first (datasets.open).`, { datasetId: id });
    return s;
  }

  private async ensureScanned(id: string): Promise<Opened> {
    const o = this.opened.get(id);
    if (o) return o;
    return this.scan((await this.summary(id)).root);
  }

  /** One scan per root at a time: concurrent open/rescan/images calls share it. */
  private scan(absRoot: string): Promise<Opened> {
    const id = datasetId(absRoot);
    const running = this.scans.get(id);
    if (running) return running;
    const job = (async () => {
      const { summary, images } = await scanDataset(absRoot, { onProgress: this.deps.onProgress, maskLabelCache: this.maskLabels });
      const o: Opened = { summary, images, byPath: new Map(images.map((im) => [im.path, im])) };
      this.opened.set(id, o);
      const list = await this.load();
      const i = list.findIndex((d) => d.id === id);
      if (i >= 0) list[i] = summary;
      else list.push(summary);
      await this.persist();
      return o;
    })().finally(() => this.scans.delete(id));
    this.scans.set(id, job);
    return job;
  }

  private async load(): Promise<DatasetSummary[]> {
    if (!this.summaries) {
      let datasets: DatasetSummary[];
      try {
        datasets = (await readJsonFile(this.deps.datasetsFile, DatasetsFile, { version: 1, datasets: [] })).datasets;
      } catch (e) {
        // A damaged list must not lock the user out of the app: keep it aside for inspection and start empty.
        if (!(e instanceof StudioError && e.code === 'UNREADABLE')) throw e;
        const aside = `${this.deps.datasetsFile}.corrupt-${Date.now()}`;
        await rename(this.deps.datasetsFile, aside).catch(() => undefined);
        this.recovered = `${e.message} It was moved to ${aside}; the list of datasets starts empty.`;
        datasets = [];
      }
      this.summaries ??= datasets;
    }
    return this.summaries;
  }

  /** Writes are chained so that two quick changes never interleave their renames out of order. */
  private persist(): Promise<void> {
    const snapshot = { version: 1 as const, datasets: this.summaries ?? [] };
    this.writes = this.writes.catch(() => undefined).then(() => writeJsonAtomic(this.deps.datasetsFile, snapshot));
    return this.writes;
  }
}
