/**
 * The Models screen's model: the workspace's model folders, sort order, the selection to compare, the export
 * format and the last export (or error). Plain TypeScript over the API client; components read slices with
 * useStoreValue and call these methods.
 */
import type { StudioClient } from '../../shared/client.js';
import type { ExportFormat, ExportResult, ModelListEntry } from '../../shared/contract/models.js';
import { Store } from '../state/store.js';
import { nextSort, type Sort, type SortKey } from './columns.js';

export interface ModelsState {
  loading: boolean;
  /** Set after the first successful list. */
  loaded: boolean;
  dir: string;
  rows: ModelListEntry[];
  sort: Sort;
  /** Ids checked for comparison, in the order they were checked. */
  selected: string[];
  format: ExportFormat;
  /** Model id being exported; one export at a time. */
  exporting: string | null;
  lastExport: ExportResult | null;
  /** Last failed action, as the sentence the main process sent. */
  error: string | null;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class ModelsStore extends Store<ModelsState> {
  constructor(private readonly client: StudioClient) {
    super({
      loading: false,
      loaded: false,
      dir: '',
      rows: [],
      sort: { key: 'createdAt', dir: 'desc' },
      selected: [],
      format: 'onnx',
      exporting: null,
      lastExport: null,
      error: null,
    });
  }

  private patch(p: Partial<ModelsState>): void {
    this.set({ ...this.get(), ...p });
  }

  async refresh(): Promise<void> {
    this.patch({ loading: true });
    try {
      const { dir, models } = await this.client.invoke('models.list', {});
      const ids = new Set(models.filter((m) => m.status === 'ok').map((m) => m.id));
      this.patch({ loading: false, loaded: true, dir, rows: models, selected: this.get().selected.filter((id) => ids.has(id)) });
    } catch (e) {
      this.patch({ loading: false, error: message(e) });
    }
  }

  sortBy(key: SortKey): void {
    this.patch({ sort: nextSort(this.get().sort, key) });
  }

  toggleSelected(id: string): void {
    const { selected } = this.get();
    this.patch({ selected: selected.includes(id) ? selected.filter((s) => s !== id) : [...selected, id] });
  }

  clearSelection(): void {
    this.patch({ selected: [] });
  }

  setFormat(format: ExportFormat): void {
    this.patch({ format });
  }

  async exportModel(modelId: string): Promise<void> {
    if (this.get().exporting) return;
    this.patch({ exporting: modelId, error: null, lastExport: null });
    try {
      const result = await this.client.invoke('models.export', { modelId, format: this.get().format });
      this.patch({ exporting: null, lastExport: result });
    } catch (e) {
      this.patch({ exporting: null, error: message(e) });
    }
  }

  dismiss(): void {
    this.patch({ error: null, lastExport: null });
  }
}
