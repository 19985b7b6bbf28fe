/**
 * The router's view of the datasets service: the calls the API and the asset endpoint need, adapted from
 * DatasetsService (src/main/data). Thumbnails come in a few fixed sizes (one disk cache each) so that a
 * renderer asking for 160 px or 512 px gets that size, while the number of cached variants stays bounded.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetSummary, ImageFilter, ImageRecord } from '../../shared/dataset.js';
import { StudioError } from '../../shared/errors.js';
import { DatasetsService } from '../data/datasetsService.js';
import { ThumbnailCache } from '../data/thumbnails.js';
import { workspacePaths } from '../workspace/paths.js';
import type { EventBus } from './events.js';

export interface DatasetsPort {
  open(root: string): Promise<DatasetSummary>;
  list(): Promise<DatasetSummary[]>;
  rescan(datasetId: string): Promise<DatasetSummary>;
  close(datasetId: string): Promise<void>;
  images(datasetId: string, filter: ImageFilter, offset: number, limit: number): Promise<{ total: number; items: ImageRecord[] }>;
  /** Absolute root of an opened dataset; NOT_FOUND for an unknown id. */
  root(datasetId: string): Promise<string>;
  /** Cached thumbnail file of one image, at the smallest bucket >= size. */
  thumbnail(datasetId: string, relPath: string, size: number): Promise<string>;
  dispose(): Promise<void>;
}

export const THUMBNAIL_BUCKETS = [128, 256, 512, 1024] as const;

export function thumbnailBucket(size: number): number {
  return THUMBNAIL_BUCKETS.find((b) => b >= size) ?? THUMBNAIL_BUCKETS[THUMBNAIL_BUCKETS.length - 1];
}

export async function createDatasetsPort({ workspace, events }: { workspace: string; events: EventBus }): Promise<DatasetsPort> {
  const paths = workspacePaths(workspace);
  const caches = new Map<number, ThumbnailCache>();
  const cache = (size: number) => {
    let c = caches.get(size);
    if (!c) caches.set(size, (c = new ThumbnailCache({ cacheDir: path.join(paths.thumbnails, String(size)), size })));
    return c;
  };
  const service = new DatasetsService({
    datasetsFile: paths.datasetsFile,
    thumbnails: cache(256),
    onProgress: (p) => events.emit('dataset.scanProgress', p),
  });
  return {
    open: (root) => service.open(root),
    list: () => service.list(),
    rescan: (id) => service.rescan(id),
    close: async (id) => {
      await service.close(id);
    },
    images: (id, filter, offset, limit) => service.images(id, filter, offset, limit),
    async root(id) {
      const d = (await service.list()).find((s) => s.id === id);
      if (!d) throw new StudioError('NOT_FOUND', `No open dataset has id ${id}; open its folder first.`, { datasetId: id });
      return d.root;
    },
    async thumbnail(id, relPath, size) {
      const absPath = await service.resolveFile(id, relPath);
      const st = await stat(absPath);
      return cache(thumbnailBucket(size)).get({ absPath, bytes: st.size, mtimeMs: st.mtimeMs });
    },
    dispose: async () => undefined,
  };
}
