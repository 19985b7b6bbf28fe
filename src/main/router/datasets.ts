/**
 * The router's view of the datasets service: the calls the API and the asset endpoint need. createDatasetsPort
 * adapts the real DatasetsService (src/main/data) to it.
 */
import type { DatasetSummary, ImageFilter, ImageRecord } from '../../shared/dataset.js';
import { StudioError } from '../../shared/errors.js';
import type { EventBus } from './events.js';

export interface DatasetsPort {
  open(root: string): Promise<DatasetSummary>;
  list(): Promise<DatasetSummary[]>;
  rescan(datasetId: string): Promise<DatasetSummary>;
  close(datasetId: string): Promise<void>;
  images(datasetId: string, filter: ImageFilter, offset: number, limit: number): Promise<{ total: number; items: ImageRecord[] }>;
  /** Absolute root of an opened dataset; NOT_FOUND for an unknown id. */
  root(datasetId: string): Promise<string>;
  thumbnail(datasetId: string, relPath: string, size: number): Promise<string>;
  dispose(): Promise<void>;
}

export async function createDatasetsPort(_deps: { workspace: string; events: EventBus }): Promise<DatasetsPort> {
  // TODO(app-shell): replace with the DatasetsService from src/main/data once it is committed.
  const notWired = (): never => {
    throw new StudioError('UNSUPPORTED', 'The datasets service is not wired into this build yet.');
  };
  return {
    open: async () => notWired(),
    list: async () => [],
    rescan: async () => notWired(),
    close: async () => notWired(),
    images: async () => notWired(),
    root: async (id) => {
      throw new StudioError('NOT_FOUND', `No open dataset has the id "${id}".`);
    },
    thumbnail: async () => notWired(),
    dispose: async () => undefined,
  };
}
