/** The datasets the user has opened, remembered across restarts; missing ones say why and can be retried. */
import type { DatasetEntry } from '../state/datasetsStore.js';

const LAYOUT_NAMES: Record<string, string> = {
  mvtec: 'MVTec AD',
  ksdd: 'KolektorSDD',
  ksdd2: 'KolektorSDD2',
  'magnetic-tile': 'Magnetic tile',
  folder: 'Folders',
};

export function layoutName(layout: string): string {
  return LAYOUT_NAMES[layout] ?? layout;
}

export interface DatasetListProps {
  entries: DatasetEntry[];
  currentId: string | null;
  onSelect: (id: string) => void;
  onRemove: (id: string) => void;
  onRetry: (id: string) => void;
  onRescan: (id: string) => void;
}

export function DatasetList({ entries, currentId, onSelect, onRemove, onRetry, onRescan }: DatasetListProps) {
  if (entries.length === 0) {
    return (
      <p className="empty-note" data-testid="dataset-list-empty">
        No datasets yet. Type a folder path above: MVTec AD, KolektorSDD, KolektorSDD2, magnetic-tile and plain folders are recognised.
      </p>
    );
  }
  return (
    <ul className="dataset-list" data-testid="dataset-list">
      {entries.map((e) => (
        <li
          key={e.id}
          className={`dataset-item${e.id === currentId ? ' active' : ''} status-${e.status}`}
          data-testid="dataset-item"
          data-id={e.id}
          data-name={e.name}
          data-status={e.status}
        >
          <button className="dataset-select" data-testid="dataset-select" onClick={() => onSelect(e.id)} title={e.root}>
            <span className="dataset-name">{e.name}</span>
            <span className="dataset-meta">
              <span className="badge" data-testid="dataset-item-layout">
                {layoutName(e.layout)}
              </span>
              <span className="mono dim">{e.total.toLocaleString('en-US')}</span>
              {e.status === 'reopening' && <span className="dim">re-opening…</span>}
            </span>
            {e.status === 'missing' && (
              <span className="dataset-error" data-testid="dataset-item-error">
                {e.error}
              </span>
            )}
          </button>
          <span className="dataset-actions">
            {e.status === 'missing' ? (
              <button className="btn small" data-testid="dataset-retry" onClick={() => onRetry(e.id)} title="Try to open the folder again">
                Retry
              </button>
            ) : (
              <button className="btn small ghost" data-testid="dataset-rescan" onClick={() => onRescan(e.id)} title="Scan the folder again" disabled={e.status !== 'ready'}>
                ↻
              </button>
            )}
            <button className="btn small ghost" data-testid="dataset-remove" onClick={() => onRemove(e.id)} title="Remove from the list (files stay on disk)">
              ✕
            </button>
          </span>
        </li>
      ))}
    </ul>
  );
}
