/**
 * Counts of the current dataset: a split × label table (each count filters the grid when clicked), masks found,
 * broken files with the reason each was skipped, and scan warnings.
 */
import type { DatasetSummary, ImageFilter } from '../../shared/dataset.js';
import { layoutName } from './DatasetList.js';

const SPLIT_ORDER = ['train', 'val', 'test', 'unsplit'];

function sortLabels(labels: string[]): string[] {
  // good first, unlabeled last, defect types alphabetically in between: the order people scan a table in.
  const rank = (l: string) => (l === 'good' ? 0 : l === 'unlabeled' ? 2 : 1);
  return [...labels].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function DatasetSummaryPanel({ summary, onFilter }: { summary: DatasetSummary; onFilter: (f: ImageFilter) => void }) {
  const splits = Object.keys(summary.bySplit).sort((a, b) => SPLIT_ORDER.indexOf(a) - SPLIT_ORDER.indexOf(b));
  const labels = sortLabels(Object.keys(summary.byLabel));
  const fmt = (n: number) => n.toLocaleString('en-US');
  return (
    <div className="summary" data-testid="dataset-summary" data-dataset-id={summary.id}>
      <div className="summary-head">
        <span className="badge accent" data-testid="dataset-layout" data-layout={summary.layout}>
          {layoutName(summary.layout)}
        </span>
        <span className="mono" data-testid="dataset-total" data-value={summary.total}>
          {fmt(summary.total)} images
        </span>
        <span className="mono dim" data-testid="dataset-masks" data-value={summary.withMask}>
          {fmt(summary.withMask)} masks
        </span>
      </div>
      <div className="summary-root mono dim" title={summary.root} data-testid="dataset-root">
        {summary.root}
      </div>
      <table className="counts" data-testid="counts-table">
        <thead>
          <tr>
            <th>label</th>
            {splits.map((s) => (
              <th key={s} className="num">
                {s}
              </th>
            ))}
            <th className="num">all</th>
          </tr>
        </thead>
        <tbody>
          {labels.map((label) => (
            <tr key={label}>
              <td>
                <button className="link" data-testid={`count-label-${label}`} onClick={() => onFilter({ label })}>
                  {label}
                </button>
              </td>
              {splits.map((split) => {
                const n = summary.bySplitLabel[split]?.[label] ?? 0;
                return (
                  <td key={split} className="num">
                    {n > 0 ? (
                      <button className="link mono" data-testid={`count-${split}-${label}`} data-value={n} onClick={() => onFilter({ split: split as ImageFilter['split'], label })}>
                        {fmt(n)}
                      </button>
                    ) : (
                      <span className="dim">·</span>
                    )}
                  </td>
                );
              })}
              <td className="num mono" data-testid={`count-all-${label}`} data-value={summary.byLabel[label]}>
                {fmt(summary.byLabel[label])}
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <td>all</td>
            {splits.map((s) => (
              <td key={s} className="num mono" data-testid={`count-${s}-all`} data-value={summary.bySplit[s]}>
                {fmt(summary.bySplit[s])}
              </td>
            ))}
            <td className="num mono">{fmt(summary.total)}</td>
          </tr>
        </tfoot>
      </table>
      {summary.broken.length > 0 && (
        <details className="broken" data-testid="broken-list" open={summary.broken.length <= 5}>
          <summary>
            <span className="status-error">{summary.broken.length} broken file{summary.broken.length === 1 ? '' : 's'}</span> skipped
          </summary>
          <ul>
            {summary.broken.map((b) => (
              <li key={b.path} data-testid="broken-item" data-path={b.path}>
                <span className="mono">{b.path}</span>
                <span className="dim">{b.reason}</span>
              </li>
            ))}
          </ul>
        </details>
      )}
      {summary.warnings.length > 0 && (
        <details className="warnings" data-testid="warnings-list">
          <summary>{summary.warnings.length} warning{summary.warnings.length === 1 ? '' : 's'}</summary>
          <ul>
            {summary.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
