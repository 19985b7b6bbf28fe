/** Filters of the thumbnail grid: split, label, mask presence; plus the filtered count. */
import type { DatasetSummary, ImageFilter, Split } from '../../shared/dataset.js';

export interface FilterBarProps {
  summary: DatasetSummary;
  filter: ImageFilter;
  shown: number;
  total: number;
  loading: boolean;
  onChange: (patch: Partial<ImageFilter>) => void;
}

export function FilterBar({ summary, filter, shown, total, loading, onChange }: FilterBarProps) {
  const splits = Object.keys(summary.bySplit);
  const labels = Object.keys(summary.byLabel).sort();
  const active = filter.split !== undefined || filter.label !== undefined || filter.hasMask !== undefined;
  return (
    <div className="toolbar filter-bar" data-testid="filter-bar">
      <label className="field">
        <span>Split</span>
        <select
          className="select"
          data-testid="filter-split"
          value={filter.split ?? ''}
          onChange={(e) => onChange({ split: (e.target.value || undefined) as Split | undefined })}
        >
          <option value="">all</option>
          {splits.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Label</span>
        <select className="select" data-testid="filter-label" value={filter.label ?? ''} onChange={(e) => onChange({ label: e.target.value || undefined })}>
          <option value="">all</option>
          {labels.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Mask</span>
        <select
          className="select"
          data-testid="filter-mask"
          value={filter.hasMask === undefined ? '' : filter.hasMask ? 'yes' : 'no'}
          onChange={(e) => onChange({ hasMask: e.target.value === '' ? undefined : e.target.value === 'yes' })}
        >
          <option value="">any</option>
          <option value="yes">with mask</option>
          <option value="no">without mask</option>
        </select>
      </label>
      {active && (
        <button className="btn small ghost" data-testid="filter-clear" onClick={() => onChange({ split: undefined, label: undefined, hasMask: undefined })}>
          Clear
        </button>
      )}
      <span className="toolbar-spacer" />
      <span
        className="mono dim"
        data-testid="grid-count"
        data-shown={shown}
        data-total={total}
        data-loading={loading ? 'true' : 'false'}
        data-filter={filterKey(filter)}
      >
        {loading && shown < total ? `loading ${shown.toLocaleString('en-US')} / ` : ''}
        {total.toLocaleString('en-US')} of {summary.total.toLocaleString('en-US')} images
      </span>
    </div>
  );
}

/** Stable text form of a filter, e.g. "split=train label= mask=": lets tests wait for the list of one filter. */
export function filterKey(f: ImageFilter): string {
  return `split=${f.split ?? ''} label=${f.label ?? ''} mask=${f.hasMask === undefined ? '' : f.hasMask ? 'yes' : 'no'}`;
}
