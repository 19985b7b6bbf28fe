/** Datasets screen: open/list datasets and their counts on the left; filters and the grid or the viewer on the right. */
import { useCallback } from 'react';
import type { StudioClient } from '../../shared/client.js';
import { DatasetList } from '../components/DatasetList.js';
import { DatasetSummaryPanel } from '../components/DatasetSummaryPanel.js';
import { FilterBar } from '../components/FilterBar.js';
import { OpenFolderForm } from '../components/OpenFolderForm.js';
import { ThumbnailGrid } from '../components/ThumbnailGrid.js';
import type { DatasetsStore } from '../state/datasetsStore.js';
import { useStoreValue } from '../state/store.js';
import { ImageViewer } from '../viewer/ImageViewer.js';
import type { ViewerStore } from '../viewer/ViewerStore.js';

export interface DatasetsScreenProps {
  client: StudioClient;
  datasets: DatasetsStore;
  viewer: ViewerStore;
}

export function DatasetsScreen({ client, datasets, viewer }: DatasetsScreenProps) {
  const s = useStoreValue(datasets, (v) => v);
  const current = s.entries.find((e) => e.id === s.currentId) ?? null;
  const onStep = useCallback((d: number) => datasets.step(d), [datasets]);
  const onClose = useCallback(() => datasets.closeViewer(), [datasets]);
  const onOpenImage = useCallback((i: number) => datasets.openImage(i), [datasets]);

  return (
    <div className="datasets-screen" data-testid="screen-datasets">
      <aside className="side-panel">
        <section className="panel-section">
          <h3 className="section-title">Open folder</h3>
          <OpenFolderForm busy={s.opening} progress={s.scanProgress} onOpen={(root) => void datasets.open(root)} />
          {s.error && (
            <div className="error-box" data-testid="error-banner" role="alert">
              <span>{s.error}</span>
              <button className="btn small ghost" onClick={() => datasets.dismissError()} aria-label="Dismiss">
                ✕
              </button>
            </div>
          )}
        </section>
        <section className="panel-section">
          <h3 className="section-title">Datasets</h3>
          {!s.initialised ? (
            <p className="empty-note">Loading…</p>
          ) : (
            <DatasetList
              entries={s.entries}
              currentId={s.currentId}
              onSelect={(id) => void datasets.select(id)}
              onRemove={(id) => void datasets.remove(id)}
              onRetry={(id) => void datasets.retry(id)}
              onRescan={(id) => void datasets.rescan(id)}
            />
          )}
        </section>
        {current?.status === 'ready' && (
          <section className="panel-section grow">
            <h3 className="section-title">Summary</h3>
            <DatasetSummaryPanel summary={current.summary} onFilter={(f) => void datasets.setFilter({ split: undefined, hasMask: undefined, ...f })} />
          </section>
        )}
      </aside>
      <div className="content">
        {current?.status === 'ready' ? (
          s.viewerIndex !== null && s.images[s.viewerIndex] ? (
            <ImageViewer
              client={client}
              store={viewer}
              datasetId={current.id}
              record={s.images[s.viewerIndex]}
              index={s.viewerIndex}
              count={s.images.length}
              onStep={onStep}
              onClose={onClose}
            />
          ) : (
            <>
              <FilterBar
                summary={current.summary}
                filter={s.filter}
                shown={s.images.length}
                total={s.imagesTotal}
                loading={s.imagesLoading}
                onChange={(p) => void datasets.setFilter(p)}
              />
              {s.images.length === 0 && !s.imagesLoading ? (
                <div className="empty-state" data-testid="grid-empty">
                  No images match these filters.
                </div>
              ) : (
                <ThumbnailGrid client={client} datasetId={current.id} images={s.images} selected={s.lastIndex} onOpen={onOpenImage} />
              )}
            </>
          )
        ) : (
          <div className="empty-state" data-testid="content-empty">
            {current?.status === 'missing'
              ? `This dataset could not be re-opened: ${current.error}`
              : current?.status === 'reopening'
                ? 'Re-opening dataset…'
                : 'Open a dataset folder to browse its images.'}
          </div>
        )}
      </div>
    </div>
  );
}
