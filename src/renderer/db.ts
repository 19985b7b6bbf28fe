/**
 * IndexedDB (via Dexie) for what the renderer must remember across restarts: the datasets the user opened and
 * the UI state (current dataset, its filters, the last image looked at). The main process stays the source of
 * truth for dataset contents; this only remembers roots so that they can be re-opened through the API.
 *
 * Note: IndexedDB is per origin. In browser mode the origin includes the port, so memory survives restarts
 * only when the server keeps its port (serve --port N); Electron always has one origin.
 */
import { Dexie, type Table } from 'dexie';
import type { AnnotationClass, MaskBytes } from '../shared/contract/annotations.js';
import type { DatasetLayout, ImageFilter } from '../shared/dataset.js';

export interface RememberedDataset {
  id: string;
  root: string;
  name: string;
  layout: DatasetLayout;
  total: number;
  openedAt: number;
  filter: ImageFilter;
  /** Path (relative to root) of the image last shown in the viewer, or null. */
  lastImage: string | null;
}

export interface UiState {
  key: 'ui';
  currentDatasetId: string | null;
  /** Whether the viewer was open on lastImage of the current dataset. */
  viewerOpen: boolean;
  showMask: boolean;
}

/**
 * One image's mask as last edited in Annotate. Written on every finished stroke *before* the main process is asked
 * to write the PNG, so closing or killing the app loses at most the stroke in progress; `saved` turns 1 once the
 * PNG with this `revision` is on disk. An entry with saved = 0 is newer than the disk and wins on reopen.
 */
export interface StoredMask {
  /** `${datasetId}|${imagePath}` */
  key: string;
  datasetId: string;
  imagePath: string;
  mask: MaskBytes;
  classes: AnnotationClass[];
  revision: number;
  saved: 0 | 1;
  /** Why the last write to disk failed, or null. */
  error: string | null;
  updatedAt: number;
}

export function storedMaskKey(datasetId: string, imagePath: string): string {
  return `${datasetId}|${imagePath}`;
}

/** Defect classes of one dataset as the Annotate screen last had them. */
export interface StoredClasses {
  datasetId: string;
  classes: AnnotationClass[];
}

export const DEFAULT_UI: UiState = { key: 'ui', currentDatasetId: null, viewerOpen: false, showMask: true };

export class StudioDb extends Dexie {
  datasets!: Table<RememberedDataset, string>;
  ui!: Table<UiState, string>;
  masks!: Table<StoredMask, string>;
  annotationClasses!: Table<StoredClasses, string>;

  constructor(name = 'defect-studio') {
    super(name);
    this.version(1).stores({ datasets: 'id, root, openedAt', ui: 'key' });
    // v2 (Annotate): masks not yet confirmed on disk, and each dataset's defect classes. Adding tables needs no upgrade().
    this.version(2).stores({ datasets: 'id, root, openedAt', ui: 'key', masks: 'key, datasetId, saved', annotationClasses: 'datasetId' });
  }

  async listDatasets(): Promise<RememberedDataset[]> {
    return this.datasets.orderBy('openedAt').toArray();
  }

  async rememberDataset(d: Omit<RememberedDataset, 'openedAt' | 'filter' | 'lastImage'>): Promise<void> {
    await this.transaction('rw', this.datasets, async () => {
      const existing = await this.datasets.get(d.id);
      await this.datasets.put({
        ...d,
        openedAt: existing?.openedAt ?? Date.now(),
        filter: existing?.filter ?? {},
        lastImage: existing?.lastImage ?? null,
      });
    });
  }

  async forgetDataset(id: string): Promise<void> {
    await this.datasets.delete(id);
  }

  async saveDatasetView(id: string, view: { filter: ImageFilter; lastImage: string | null }): Promise<void> {
    await this.datasets.update(id, view);
  }

  async loadUi(): Promise<UiState> {
    return (await this.ui.get('ui')) ?? DEFAULT_UI;
  }

  async saveUi(patch: Partial<Omit<UiState, 'key'>>): Promise<void> {
    const current = await this.loadUi();
    await this.ui.put({ ...current, ...patch, key: 'ui' });
  }
}
