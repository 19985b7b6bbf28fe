/**
 * The run's images sorted by score, highest first (react-window List: only visible rows exist). Each row shows
 * the verdict at the current threshold, the dataset label and the reviewer's decision; the selected row is kept
 * in view when the keyboard moves the selection.
 */
import { useEffect, type CSSProperties } from 'react';
import { List, useListRef, type RowComponentProps } from 'react-window';
import type { ReviewResult } from '../../shared/contract/review.js';
import { labelClass } from '../viewer/ImageViewer.js';
import { effectiveLabel } from './ScoreCharts.js';

export const ROW_HEIGHT = 30;

interface RowData {
  results: ReviewResult[];
  threshold: number;
  selectedPath: string | null;
  onSelect: (path: string) => void;
}

const DECISION_MARK: Record<string, string> = { accept: '✓', reject: '✕', relabel: '↻' };

function Row({ index, style, results, threshold, selectedPath, onSelect }: RowComponentProps<RowData>) {
  const r = results[index];
  const verdict = r.score === null ? 'failed' : r.score >= threshold ? 'defect' : 'good';
  const name = r.path.slice(r.path.lastIndexOf('/') + 1);
  const label = effectiveLabel(r);
  return (
    <div style={style as CSSProperties} className="result-slot">
      <button
        className={`result-row${r.path === selectedPath ? ' selected' : ''}`}
        data-testid="review-row"
        data-index={index}
        data-path={r.path}
        data-verdict={verdict}
        data-decision={r.decision?.kind ?? ''}
        title={r.error ?? `${r.path}\nscore ${r.score}\nlabel ${r.label}${r.decision ? `\ndecision ${r.decision.kind}${r.decision.label ? ' → ' + r.decision.label : ''}` : ''}`}
        onClick={() => onSelect(r.path)}
        tabIndex={r.path === selectedPath ? 0 : -1}
      >
        <span className={`verdict-dot verdict-${verdict}`} />
        <span className="result-name">{name}</span>
        <span className={`chip ${labelClass(label)}`}>{label}</span>
        <span className="mono result-score">{r.score === null ? '—' : r.score.toPrecision(4)}</span>
        <span className={`decision-mark decision-${r.decision?.kind ?? 'none'}`} aria-label={r.decision?.kind ?? 'undecided'}>
          {r.decision ? DECISION_MARK[r.decision.kind] : ''}
        </span>
      </button>
    </div>
  );
}

export function ResultList({ results, threshold, selectedPath, onSelect }: RowData) {
  const listRef = useListRef(null);
  const selectedIndex = results.findIndex((r) => r.path === selectedPath);
  useEffect(() => {
    if (selectedIndex >= 0) listRef.current?.scrollToRow({ index: selectedIndex, align: 'smart' });
  }, [selectedIndex, listRef]);
  if (results.length === 0) {
    return (
      <p className="empty-note pad" data-testid="review-list-empty">
        No results yet. Pick a model and a dataset, then Run.
      </p>
    );
  }
  return (
    <div className="result-list" data-testid="review-list" data-count={results.length}>
      <List listRef={listRef} rowComponent={Row} rowCount={results.length} rowHeight={ROW_HEIGHT} rowProps={{ results, threshold, selectedPath, onSelect }} overscanCount={8} />
    </div>
  );
}
