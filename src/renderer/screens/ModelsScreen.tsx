/**
 * Models screen: the workspace's trained models with their metrics side by side (sortable table), a comparison of
 * the checked models, and export as self-contained ONNX, Triton repository entry or zip.
 */
import { useEffect, useMemo, useState } from 'react';
import type { StudioClient } from '../../shared/client.js';
import { EXPORT_FORMATS, type ExportFormat, type ModelRow } from '../../shared/contract/models.js';
import { sortModels } from '../models/columns.js';
import { ModelCompare } from '../models/ModelCompare.js';
import { ModelsStore } from '../models/modelsStore.js';
import { ModelsTable } from '../models/ModelsTable.js';
import '../models/models.css';
import { useStoreValue } from '../state/store.js';

const FORMAT_LABELS: Record<ExportFormat, string> = {
  onnx: 'ONNX (self-contained)',
  triton: 'Triton repository',
  zip: 'Zip for the line',
};

export function ModelsScreen({ client }: { client: StudioClient }) {
  // The store lives as long as the screen: the list is re-read from disk each time the screen opens.
  const [store] = useState(() => new ModelsStore(client));
  const s = useStoreValue(store, (v) => v);
  useEffect(() => void store.refresh(), [store]);
  const rows = useMemo(() => sortModels(s.rows, s.sort), [s.rows, s.sort]);
  const compared = s.selected.map((id) => s.rows.find((r) => r.id === id)).filter((r): r is ModelRow => r?.status === 'ok');
  const broken = s.rows.filter((r) => r.status === 'error').length;

  return (
    <div className="models-screen" data-testid="screen-models">
      <div className="toolbar">
        <h3 className="section-title compare-title">Models</h3>
        <span className="dim" data-testid="models-count" data-value={s.rows.length - broken}>
          {s.loaded ? `${s.rows.length - broken} model${s.rows.length - broken === 1 ? '' : 's'}${broken ? `, ${broken} broken` : ''}` : 'Loading…'}
        </span>
        <span className="dim mono" title="Model folders are read from here">
          {s.dir}
        </span>
        <span className="toolbar-spacer" />
        <label className="field">
          Export as
          <select className="select" data-testid="export-format" value={s.format} onChange={(e) => store.setFormat(e.target.value as ExportFormat)}>
            {EXPORT_FORMATS.map((f) => (
              <option key={f} value={f}>
                {FORMAT_LABELS[f]}
              </option>
            ))}
          </select>
        </label>
        <span className="toolbar-sep" />
        <button className="btn small" data-testid="models-refresh" disabled={s.loading} onClick={() => void store.refresh()}>
          Refresh
        </button>
      </div>
      {s.error && (
        <div className="error-box" data-testid="models-error" role="alert">
          <span>{s.error}</span>
          <button className="btn small ghost" onClick={() => store.dismiss()} aria-label="Dismiss">
            ✕
          </button>
        </div>
      )}
      {s.lastExport && (
        <div className="export-box" data-testid="export-result" data-path={s.lastExport.path} data-format={s.lastExport.format} role="status">
          <span>
            Exported <b>{s.lastExport.modelId}</b> as {FORMAT_LABELS[s.lastExport.format]} ({(s.lastExport.bytes / 1e6).toFixed(2)} MB, threshold{' '}
            {s.lastExport.threshold.toPrecision(4)}) to <span className="mono">{s.lastExport.path}</span>
          </span>
          <button className="btn small ghost" onClick={() => store.dismiss()} aria-label="Dismiss">
            ✕
          </button>
        </div>
      )}
      <div className="models-body">
        {s.loaded && s.rows.length === 0 ? (
          <div className="empty-state" data-testid="models-empty">
            No trained models yet. Models trained from the Jobs screen or with `train --out {s.dir}/NAME` appear here.
          </div>
        ) : (
          <ModelsTable
            rows={rows}
            sort={s.sort}
            selected={s.selected}
            exporting={s.exporting}
            onSort={(k) => store.sortBy(k)}
            onToggle={(id) => store.toggleSelected(id)}
            onExport={(id) => void store.exportModel(id)}
          />
        )}
        {compared.length >= 2 ? (
          <ModelCompare rows={compared} onClear={() => store.clearSelection()} />
        ) : (
          s.rows.length > 1 && <p className="empty-note models-hint">Check two or more models to compare them side by side.</p>
        )}
      </div>
    </div>
  );
}
