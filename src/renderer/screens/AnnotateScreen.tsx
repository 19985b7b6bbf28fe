/**
 * Annotate screen: the current dataset's image (the one last opened in Datasets; PageUp/PageDown move through the
 * filtered list) on a Konva stage over the AnnotateEditor, with tools, classes, heatmap-to-mask, save status and
 * export. Layout only; the model is AnnotateSession (editor per image) and MaskPersistence (Dexie, then disk).
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { StudioClient } from '../../shared/client.js';
import { AnnotateCanvas } from '../annotate/AnnotateCanvas.js';
import { AnnotateSession, type HeatmapLoader } from '../annotate/AnnotateSession.js';
import { AnnotateToolbar } from '../annotate/AnnotateToolbar.js';
import { ClassPanel } from '../annotate/ClassPanel.js';
import { ExportPanel } from '../annotate/ExportPanel.js';
import { HeatmapPanel } from '../annotate/HeatmapPanel.js';
import { reviewHeatmaps } from '../annotate/heatmapSource.js';
import { HelpOverlay } from '../annotate/HelpOverlay.js';
import { MaskPersistence } from '../annotate/MaskPersistence.js';
import { SaveStatus } from '../annotate/SaveStatus.js';
import { useEditorValue } from '../annotate/useEditorValue.js';
import '../annotate/annotate.css';
import type { StudioDb } from '../db.js';
import type { AnnotateEditor } from '../editor/index.js';
import type { DatasetsStore } from '../state/datasetsStore.js';
import { useStoreValue } from '../state/store.js';

export interface AnnotateScreenProps {
  client: StudioClient;
  db: StudioDb;
  datasets: DatasetsStore;
  /** Anomaly maps for heatmap-to-mask; default: the Review screen's open run, else the newest run of the dataset. */
  heatmaps?: HeatmapLoader;
}

export function AnnotateScreen({ client, db, datasets, heatmaps }: AnnotateScreenProps) {
  const session = useMemo(() => new AnnotateSession(client, db, new MaskPersistence(client, db)), [client, db]);
  const heatmapLoader = useMemo(() => heatmaps ?? reviewHeatmaps(client), [client, heatmaps]);
  const ds = useStoreValue(datasets, (v) => v);
  const s = useStoreValue(session, (v) => v);
  const [help, setHelp] = useState(false);
  const current = ds.entries.find((e) => e.id === ds.currentId) ?? null;
  const index = ds.images.length === 0 ? null : Math.min(ds.images.length - 1, ds.viewerIndex ?? ds.lastIndex ?? 0);
  const record = index !== null ? ds.images[index] : null;

  useEffect(() => {
    session.setHeatmapLoader(heatmapLoader);
  }, [session, heatmapLoader]);
  useEffect(() => {
    void session.persistence.retry(); // edits a previous run could not write
    return () => session.dispose();
  }, [session]);
  useEffect(() => {
    if (current?.status === 'ready' && record) void session.open(current.id, record);
  }, [session, current?.id, current?.status, record]);

  const step = useCallback(
    (delta: number) => {
      if (index === null) return;
      const next = Math.max(0, Math.min(ds.images.length - 1, index + delta));
      if (next !== index) datasets.openImage(next);
    },
    [datasets, index, ds.images.length],
  );

  const onKey = useCallback(
    (e: KeyboardEvent) => {
      if (help) {
        if (e.key === 'Escape' || e.key === '?') setHelp(false);
        return true; // the overlay is modal: keys do not reach the editor behind it
      }
      if (e.key === '?') {
        setHelp(true);
        return true;
      }
      if (e.key === 'PageDown' || e.key === 'PageUp') {
        step(e.key === 'PageDown' ? 1 : -1);
        return true;
      }
      return false;
    },
    [help, step],
  );

  if (!current || current.status !== 'ready' || !record) {
    return (
      <div className="annotate-screen empty" data-testid="screen-annotate" data-status="empty">
        <div className="empty-state" data-testid="annotate-empty">
          {current ? 'This dataset has no images to annotate (check the filters in Datasets).' : 'Open a dataset in Datasets, then choose an image to annotate.'}
        </div>
      </div>
    );
  }

  const editor = s.status === 'ready' && s.record?.path === record.path ? s.editor : null;
  return (
    <div className="annotate-screen" data-testid="screen-annotate" data-status={s.status} data-image={s.record?.path ?? ''} data-mask-source={s.maskSource}>
      <aside className="side-panel">
        <section className="panel-section">
          <h3 className="section-title">Image</h3>
          <div className="annotate-row">
            <button className="btn icon" data-testid="annotate-prev" onClick={() => step(-1)} disabled={index === 0} title="Previous image (PageUp)" aria-label="Previous image">
              ‹
            </button>
            <span className="mono dim" data-testid="annotate-position">
              {(index ?? 0) + 1} / {ds.images.length}
            </span>
            <button
              className="btn icon"
              data-testid="annotate-next"
              onClick={() => step(1)}
              disabled={index === ds.images.length - 1}
              title="Next image (PageDown)"
              aria-label="Next image"
            >
              ›
            </button>
          </div>
          <p className="mono annotate-filename" title={record.path} data-testid="annotate-filename">
            {record.path}
          </p>
          <p className="dim">
            {current.name} · {record.label} · mask from{' '}
            <span data-testid="annotate-mask-source">{s.maskSource === 'none' ? 'nowhere (new)' : s.maskSource === 'unsaved' ? 'browser (not on disk yet)' : s.maskSource}</span>
          </p>
          <SaveStatus persistence={session.persistence} />
        </section>
        {editor && <ClassPanel editor={editor} session={session} classes={s.classes} />}
        {editor && <HeatmapPanel editor={editor} runId={s.heatmapRun} onError={(m) => session.notify('warning', m)} />}
        <ExportPanel client={client} persistence={session.persistence} datasetId={current.id} classes={s.classes} />
      </aside>
      <div className="content">
        {editor ? <AnnotateToolbar editor={editor} onHelp={() => setHelp(true)} /> : <header className="toolbar" />}
        <div className="viewer-body">
          {editor && s.image && <AnnotateCanvas editor={editor} image={s.image} onKey={onKey} />}
          {s.status === 'loading' && <div className="viewer-loading">Loading…</div>}
          {s.status === 'error' && (
            <div className="viewer-message error" data-testid="annotate-error">
              {s.error}
            </div>
          )}
          {s.maskProblem && (
            <div className="annotate-banner warning" role="alert" data-testid="annotate-mask-problem">
              {s.maskProblem}
            </div>
          )}
          {s.notice && (
            <div className={`annotate-banner ${s.notice.level}`} role="status" data-testid="annotate-notice" key={s.notice.seq}>
              <span>{s.notice.message}</span>
              <button className="btn small ghost" onClick={() => session.dismissNotice()} aria-label="Dismiss">
                ✕
              </button>
            </div>
          )}
          {help && <HelpOverlay onClose={() => setHelp(false)} />}
        </div>
        {editor && <AnnotateFooter editor={editor} painted={s.painted} />}
      </div>
    </div>
  );
}

/** Size, tool state and the number of painted pixels (counted by the mask worker after each edit). */
function AnnotateFooter({ editor, painted }: { editor: AnnotateEditor; painted: number | null }) {
  const path = useEditorValue(editor, 'path', () => editor.getPath());
  return (
    <footer className="viewer-info">
      <span className="mono dim">
        {editor.getWidth()}×{editor.getHeight()}
      </span>
      <span className="mono dim" data-testid="annotate-tool-path">
        {path}
      </span>
      <span className="mono dim" data-testid="annotate-painted" data-value={painted ?? ''}>
        {painted === null ? 'counting…' : `${painted} px painted`}
      </span>
    </footer>
  );
}
