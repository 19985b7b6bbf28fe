/**
 * The models table: one row per model folder, sortable by any column (header buttons, keyboard reachable), a
 * checkbox per model for comparison and an Export button per model; broken folders show their reason.
 */
import type { ModelListEntry, ModelRow } from '../../shared/contract/models.js';
import { dataName, formatMetric, metricOf, TABLE_METRICS, type Sort, type SortKey } from './columns.js';

export interface ModelsTableProps {
  rows: ModelListEntry[];
  sort: Sort;
  selected: string[];
  exporting: string | null;
  onSort(key: SortKey): void;
  onToggle(id: string): void;
  onExport(id: string): void;
}

function SortHeader({ label, k, sort, onSort, num }: { label: string; k: SortKey; sort: Sort; onSort(key: SortKey): void; num?: boolean }) {
  const active = sort.key === k;
  return (
    <th className={num ? 'num' : undefined} aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button className={`sort-head${active ? ' active' : ''}`} data-testid={`sort-${k}`} onClick={() => onSort(k)}>
        {label}
        <span className="sort-arrow" aria-hidden>
          {active ? (sort.dir === 'asc' ? '▲' : '▼') : ''}
        </span>
      </button>
    </th>
  );
}

function OkRow({ row, checked, exporting, busy, onToggle, onExport }: { row: ModelRow; checked: boolean; exporting: boolean; busy: boolean; onToggle(): void; onExport(): void }) {
  return (
    <tr data-testid="model-row" data-id={row.id} data-status="ok" className={checked ? 'checked' : undefined}>
      <td>
        <input type="checkbox" data-testid="model-select" checked={checked} onChange={onToggle} aria-label={`Compare ${row.id}`} />
      </td>
      <td className="model-id" title={row.dir}>
        {row.id}
      </td>
      <td>
        <span className="badge accent">{row.method}</span> <span className="dim">{row.backbone}</span>
      </td>
      <td title={`${row.training.root}\n${row.training.split}`}>
        {dataName(row)} <span className="dim">· {row.training.trainImages} img</span>
      </td>
      <td className="dim mono" title={row.createdAt}>
        {row.createdAt.slice(0, 16).replace('T', ' ')}
      </td>
      {TABLE_METRICS.map((c) => (
        <td key={c.key} className="num mono" data-testid={`metric-${c.key}`}>
          {formatMetric(metricOf(row, c.key), c.digits)}
        </td>
      ))}
      <td className="num mono">{row.threshold.toPrecision(4)}</td>
      <td>
        <button className="btn small" data-testid="model-export" disabled={busy} onClick={onExport}>
          {exporting ? 'Exporting…' : 'Export'}
        </button>
      </td>
    </tr>
  );
}

export function ModelsTable({ rows, sort, selected, exporting, onSort, onToggle, onExport }: ModelsTableProps) {
  const columns = 5 + TABLE_METRICS.length + 2;
  const head = (label: string, k: SortKey, num = false) => <SortHeader label={label} k={k} sort={sort} onSort={onSort} num={num} />;
  return (
    <div className="models-table-wrap">
      <table className="counts models-table" data-testid="models-table">
        <thead>
          <tr>
            <th aria-label="Compare" />
            {head('Model', 'id')}
            {head('Method · backbone', 'method')}
            {head('Training data', 'data')}
            {head('Trained', 'createdAt')}
            {TABLE_METRICS.map((c) => (
              <SortHeader key={c.key} label={c.short} k={c.key} sort={sort} onSort={onSort} num />
            ))}
            {head('Threshold', 'threshold', true)}
            <th aria-label="Export" />
          </tr>
        </thead>
        <tbody>
          {rows.map((row) =>
            row.status === 'ok' ? (
              <OkRow
                key={row.id}
                row={row}
                checked={selected.includes(row.id)}
                exporting={exporting === row.id}
                busy={exporting !== null}
                onToggle={() => onToggle(row.id)}
                onExport={() => onExport(row.id)}
              />
            ) : (
              <tr key={row.id} data-testid="model-row" data-id={row.id} data-status="error" className="broken-row">
                <td />
                <td className="model-id">{row.id}</td>
                <td colSpan={columns - 2} data-testid="model-row-error">
                  {row.error}
                </td>
              </tr>
            ),
          )}
        </tbody>
      </table>
    </div>
  );
}
