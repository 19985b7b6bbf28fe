/**
 * Review screen: pick a model and a dataset and run it (left), the results sorted by score (middle), the
 * selected image with its heatmap and contour and the decision buttons (right). The threshold slider moves the
 * verdicts, counts, histogram line, ROC operating point and contour together. Every action has a key (?).
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { AnnotationClass } from '../../shared/contract/annotations.js';
import { DEFAULT_CLASSES } from '../annotate/classes.js';
import type { StudioClient } from '../../shared/client.js';
import { Split } from '../../shared/dataset.js';
import type { ColormapName } from '../editor/render/heatmapOverlay.js';
import { HelpOverlay } from '../review/HelpOverlay.js';
import { ResultList } from '../review/ResultList.js';
import { ReviewViewer } from '../review/ReviewViewer.js';
import { reviewStoreFor, type ReviewStore } from '../review/ReviewStore.js';
import { verdictCounts } from '../review/roc.js';
import { effectiveLabel, RocChart, ScoreHistogram, scoredItems } from '../review/ScoreCharts.js';
import { useStoreValue } from '../state/store.js';
import { ViewerStore } from '../viewer/ViewerStore.js';
import '../review/review.css';

const viewers = new WeakMap<ReviewStore, ViewerStore>();
function viewerFor(store: ReviewStore): ViewerStore {
  let v = viewers.get(store);
  if (!v) viewers.set(store, (v = new ViewerStore(true)));
  return v;
}

/** Fields where typing or arrow keys mean something to the field itself; checkboxes, buttons and sliders do not. */
function capturesKeys(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA') return true;
  if (target.tagName !== 'INPUT') return false;
  return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes((target as HTMLInputElement).type);
}

export function ReviewScreen({ client }: { client: StudioClient }) {
  const store = useMemo(() => reviewStoreFor(client), [client]);
  const viewer = useMemo(() => viewerFor(store), [store]);
  const s = useStoreValue(store, (v) => v);
  const [help, setHelp] = useState(false);

  useEffect(() => {
    void store.refresh();
  }, [store]);

  const scores = useMemo(() => s.results.map((r) => r.score), [s.results]);
  const items = useMemo(() => scoredItems(s.results), [s.results]);
  const range = useMemo(() => {
    const finite = items.map((i) => i.score);
    const lo = Math.min(...finite, s.run?.threshold ?? 0);
    const hi = Math.max(...finite, s.run?.threshold ?? 1);
    if (!finite.length) return { min: 0, max: Math.max(1, (s.run?.threshold ?? 0.5) * 2) };
    // A margin past both ends: the slider's ends mean "flag everything" and "flag nothing" even after the
    // browser rounds the range input's value to its step.
    const pad = (hi > lo ? hi - lo : 1) * 0.02;
    return { min: lo - pad, max: hi + pad };
  }, [items, s.run?.threshold]);
  const counts = verdictCounts(scores, s.threshold);
  const decided = s.results.filter((r) => r.decision).length;
  const selected = s.results.find((r) => r.path === s.selectedPath) ?? null;
  const step = (range.max - range.min) / 100;

  // The dataset's defect classes (classes.json beside its masks, edited in Annotate): relabel targets, keys 1-9.
  const [classes, setClasses] = useState<readonly AnnotationClass[]>(DEFAULT_CLASSES);
  const runDataset = s.run?.datasetId ?? null;
  useEffect(() => {
    if (!runDataset) return;
    let live = true;
    client
      .invoke('annotations.classes', { datasetId: runDataset })
      .then((r) => live && setClasses(r.classes?.length ? r.classes : DEFAULT_CLASSES))
      .catch(() => live && setClasses(DEFAULT_CLASSES));
    return () => {
      live = false;
    };
  }, [client, runDataset]);

  const relabelAs = useCallback((label: string) => void store.decide('relabel', label), [store]);
  const relabel = useCallback(() => {
    const r = store.selected();
    if (!r) return;
    relabelAs(effectiveLabel(r) === 'good' ? classes[0].name : 'good');
  }, [store, classes, relabelAs]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'Escape' && help) return setHelp(false);
      if (capturesKeys(e.target)) return;
      // Sliders keep their own arrow keys; everything else is ours.
      if ((e.target as HTMLElement | null)?.getAttribute?.('type') === 'range' && e.key.startsWith('Arrow')) return;
      switch (e.key) {
        case 'ArrowDown':
        case 'j':
        case 'J':
          store.step(1);
          break;
        case 'ArrowUp':
        case 'k':
        case 'K':
          store.step(-1);
          break;
        case 'a':
        case 'A':
          void store.decide('accept');
          break;
        case 'r':
        case 'R':
          void store.decide('reject');
          break;
        case 'l':
        case 'L':
          relabel();
          break;
        case '0':
          relabelAs('good');
          break;
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7':
        case '8':
        case '9': {
          const c = classes[Number(e.key) - 1];
          if (!c) return;
          relabelAs(c.name);
          break;
        }
        case 'u':
        case 'U':
          void store.decide(null);
          break;
        case '[':
          store.setThreshold(store.get().threshold - step);
          break;
        case ']':
          store.setThreshold(store.get().threshold + step);
          break;
        case 'h':
        case 'H':
          viewer.toggleMask();
          break;
        case 'c':
        case 'C':
          store.toggleContour();
          break;
        case 'f':
        case 'F':
          viewer.fit();
          break;
        case 'z':
        case 'Z':
          viewer.actualSize();
          break;
        case '+':
        case '=':
          viewer.zoom(1.25);
          break;
        case '-':
          viewer.zoom(0.8);
          break;
        case '?':
          setHelp((h) => !h);
          break;
        default:
          return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store, viewer, relabel, relabelAs, classes, step, help]);

  const running = s.run?.status === 'running';
  const usableModels = s.models.filter((m) => !m.error);
  const brokenModels = s.models.filter((m) => m.error);
  const showHeatmap = useStoreValue(viewer, (v) => v.showMask);

  return (
    <div className="review-screen" data-testid="screen-review">
      <aside className="side-panel">
        <section className="panel-section">
          <h3 className="section-title">Inspection run</h3>
          <div className="form-grid">
            <label className="field-col">
              <span>Model</span>
              <select className="select" data-testid="review-model" value={s.modelDir ?? ''} onChange={(e) => store.setModel(e.target.value || null)}>
                {usableModels.length === 0 && <option value="">No models in the workspace</option>}
                {usableModels.map((m) => (
                  <option key={m.dir} value={m.dir}>
                    {m.name} · {m.method}
                  </option>
                ))}
              </select>
            </label>
            <label className="field-col">
              <span>Dataset</span>
              <select className="select" data-testid="review-dataset" value={s.datasetId ?? ''} onChange={(e) => store.setDataset(e.target.value || null)}>
                {s.datasets.length === 0 && <option value="">Open a dataset in Datasets first</option>}
                {s.datasets.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name} ({d.total})
                  </option>
                ))}
              </select>
            </label>
            <label className="field-col">
              <span>Split</span>
              <select className="select" data-testid="review-split" value={s.split ?? ''} onChange={(e) => store.setSplit(e.target.value ? Split.parse(e.target.value) : null)}>
                <option value="">all</option>
                {Split.options.map((sp) => (
                  <option key={sp} value={sp}>
                    {sp}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <div className="row-actions">
            <button className="btn primary" data-testid="review-run" disabled={s.starting || running || !s.modelDir || !s.datasetId} onClick={() => void store.start()}>
              {s.starting ? 'Starting…' : 'Run'}
            </button>
            {running && (
              <button className="btn" data-testid="review-cancel" onClick={() => void store.cancel()}>
                Cancel
              </button>
            )}
            <button className="btn ghost" data-testid="review-refresh" onClick={() => void store.refresh()} title="Reload models and datasets">
              ↻
            </button>
          </div>
          {s.run && (
            <div className="run-status" data-testid="review-status" data-status={s.run.status} data-done={s.run.done} data-total={s.run.total} data-run-id={s.run.runId}>
              <div className="scan-progress-bar" style={{ width: `${(100 * s.run.done) / Math.max(1, s.run.total)}%` }} />
              <span className="mono">
                {s.run.status} · {s.run.done}/{s.run.total}
              </span>
              <span className="dim"> {s.run.modelName} on {s.run.datasetName}</span>
              {s.run.error && <div className="dataset-error">{s.run.error}</div>}
            </div>
          )}
          {brokenModels.length > 0 && (
            <details className="warnings" data-testid="review-broken-models">
              <summary>{brokenModels.length} unusable model folder(s)</summary>
              <ul>
                {brokenModels.map((m) => (
                  <li key={m.dir} data-testid="review-broken-model" data-name={m.name}>
                    <b>{m.name}</b>: {m.error}
                  </li>
                ))}
              </ul>
            </details>
          )}
          {s.error && (
            <div className="error-box" data-testid="review-error" role="alert">
              <span>{s.error}</span>
              <button className="btn small ghost" onClick={() => store.dismissError()} aria-label="Dismiss">
                ✕
              </button>
            </div>
          )}
        </section>
        <section className="panel-section">
          <h3 className="section-title">Threshold</h3>
          <div className="threshold-row">
            <input
              type="range"
              className="slider"
              data-testid="review-threshold"
              aria-label="Threshold"
              min={range.min}
              max={range.max}
              step={step || 0.001}
              value={s.threshold}
              disabled={!s.run}
              onChange={(e) => store.setThreshold(Number(e.target.value))}
            />
            <span className="mono" data-testid="review-threshold-value">
              {s.threshold.toPrecision(4)}
            </span>
          </div>
          <div className="verdict-counts">
            <span className="chip chip-defect" data-testid="review-count-defect" data-value={counts.defect}>
              {counts.defect} defect
            </span>
            <span className="chip chip-good" data-testid="review-count-good" data-value={counts.good}>
              {counts.good} good
            </span>
            {counts.failed > 0 && (
              <span className="chip chip-neutral" data-testid="review-count-failed" data-value={counts.failed}>
                {counts.failed} failed
              </span>
            )}
            <span className="dim" data-testid="review-count-decided" data-value={decided}>
              {decided} decided
            </span>
          </div>
          {s.run && (
            <button className="btn small ghost" onClick={() => store.setThreshold(s.run!.threshold)} title="Back to the model's stored threshold">
              model threshold {s.run.threshold.toPrecision(4)}
            </button>
          )}
        </section>
        <section className="panel-section">
          <h3 className="section-title">Scores</h3>
          <ScoreHistogram items={items} threshold={s.threshold} range={range} />
          <div className="legend">
            <span className="swatch bar-good" /> good <span className="swatch bar-defect" /> defect <span className="swatch bar-unknown" /> unlabeled
          </div>
        </section>
        <section className="panel-section grow">
          <h3 className="section-title">ROC</h3>
          <RocChart items={items} threshold={s.threshold} />
        </section>
        {s.runs.length > 0 && (
          <section className="panel-section">
            <h3 className="section-title">Previous runs</h3>
            <ul className="run-list" data-testid="review-runs">
              {s.runs.slice(0, 8).map((r) => (
                <li key={r.runId}>
                  <button className={`link${r.runId === s.runId ? ' active' : ''}`} data-testid="review-run-item" data-run-id={r.runId} onClick={() => void store.open(r.runId)}>
                    {r.modelName} · {r.datasetName}
                    {r.split ? `/${r.split}` : ''} <span className="dim">({r.status}, {r.done})</span>
                  </button>
                </li>
              ))}
            </ul>
          </section>
        )}
      </aside>
      <div className="review-list-pane">
        <ResultList results={s.results} threshold={s.threshold} selectedPath={s.selectedPath} onSelect={(p) => store.select(p)} />
      </div>
      <div className="content">
        <header className="toolbar review-toolbar">
          <label className="check" title="Heatmap overlay (H)">
            <input type="checkbox" data-testid="review-heatmap-toggle" checked={showHeatmap} onChange={(e) => viewer.setShowMask(e.target.checked)} />
            Heatmap
          </label>
          <label className="check" title="Predicted-mask contour at the threshold (C)">
            <input type="checkbox" data-testid="review-contour-toggle" checked={s.showContour} onChange={() => store.toggleContour()} />
            Contour
          </label>
          <select className="select" data-testid="review-colormap" aria-label="Colour map" value={s.colormap} onChange={(e) => store.setColormap(e.target.value as ColormapName)}>
            <option value="jet">jet</option>
            <option value="turbo">turbo</option>
            <option value="gray">gray</option>
          </select>
          <label className="field" title="Heatmap opacity">
            Opacity
            <input type="range" className="slider short" data-testid="review-opacity" min={0} max={1} step={0.05} value={s.opacity} onChange={(e) => store.setOpacity(Number(e.target.value))} />
          </label>
          <div className="toolbar-sep" />
          <button className="btn" data-testid="review-fit" onClick={() => viewer.fit()} title="Fit (F)">
            Fit
          </button>
          <div className="toolbar-spacer" />
          <button className="btn" data-testid="review-accept" disabled={!selected} onClick={() => void store.decide('accept')} title="Accept the verdict (A)">
            Accept <kbd>A</kbd>
          </button>
          <button className="btn" data-testid="review-reject" disabled={!selected} onClick={() => void store.decide('reject')} title="Reject the verdict (R)">
            Reject <kbd>R</kbd>
          </button>
          <button className="btn" data-testid="review-relabel" disabled={!selected} onClick={relabel} title={`Relabel good ↔ ${classes[0].name} (L)`}>
            Relabel <kbd>L</kbd>
          </button>
          <select
            className="select"
            data-testid="review-relabel-class"
            aria-label="Relabel as"
            disabled={!selected}
            value=""
            onChange={(e) => {
              if (e.target.value) relabelAs(e.target.value);
            }}
          >
            <option value="">Relabel as…</option>
            <option value="good">good (0)</option>
            {classes.map((c, i) => (
              <option key={c.id} value={c.name} data-testid="review-relabel-option">
                {c.name}
                {i < 9 ? ` (${i + 1})` : ''}
              </option>
            ))}
          </select>
          <button className="btn ghost" data-testid="review-help-button" onClick={() => setHelp(true)} title="Keyboard shortcuts (?)">
            ?
          </button>
        </header>
        {selected ? (
          <ReviewViewer store={store} viewer={viewer} result={selected} />
        ) : (
          <div className="empty-state">{s.run ? 'Select an image in the list.' : 'Run a model to review its results.'}</div>
        )}
        {selected && (
          <footer className="viewer-info" data-testid="review-info">
            <span className="mono path" title={selected.path}>
              {selected.path}
            </span>
            <span className="mono" data-testid="review-selected-score">
              score {selected.score === null ? '—' : selected.score.toPrecision(4)}
            </span>
            <span className={`chip ${selected.score !== null && selected.score >= s.threshold ? 'chip-defect' : 'chip-good'}`} data-testid="review-selected-verdict">
              {selected.score === null ? 'failed' : selected.score >= s.threshold ? 'defect' : 'good'}
            </span>
            <span className="dim">label {effectiveLabel(selected)}</span>
            <span data-testid="review-selected-decision" data-value={selected.decision?.kind ?? ''}>
              {selected.decision ? `${selected.decision.kind}${selected.decision.label ? ' → ' + selected.decision.label : ''}` : 'undecided'}
            </span>
          </footer>
        )}
      </div>
      {help && <HelpOverlay onClose={() => setHelp(false)} />}
    </div>
  );
}
