/**
 * Export the dataset's masks (MVTec ground_truth layout and/or class-index PNGs, with summary.json). The API never
 * overwrites a folder that has files: it answers `conflict`, shown here as a question. A folder that cannot be
 * written comes back as IO_ERROR with details.readOnly; the panel then asks for another folder.
 */
import { useEffect, useRef, useState } from 'react';
import type { StudioClient } from '../../shared/client.js';
import type { AnnotationClass, ExportSummary, MaskExportFormat } from '../../shared/contract/annotations.js';
import { StudioError } from '../../shared/errors.js';
import type { MaskPersistence } from './MaskPersistence.js';

type Phase =
  | { kind: 'idle' }
  | { kind: 'busy' }
  | { kind: 'conflict'; existing: string[] }
  | { kind: 'error'; message: string; readOnly: boolean }
  | { kind: 'done'; target: string; summary: ExportSummary };

export interface ExportPanelProps {
  client: StudioClient;
  persistence: MaskPersistence;
  datasetId: string;
  classes: readonly AnnotationClass[];
}

export function ExportPanel({ client, persistence, datasetId, classes }: ExportPanelProps) {
  const [target, setTarget] = useState('');
  const [formats, setFormats] = useState<Record<MaskExportFormat, boolean>>({ mvtec: true, 'class-index': true });
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const targetRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    let cancelled = false;
    client.invoke('annotations.exportTarget', { datasetId }).then(
      (r) => !cancelled && setTarget(r.target),
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [client, datasetId]);

  const run = async (overwrite: boolean) => {
    setPhase({ kind: 'busy' });
    // Edits still on their way to disk would be missing from the export: finish them first.
    await persistence.retry();
    await persistence.idle();
    const chosen = (Object.keys(formats) as MaskExportFormat[]).filter((f) => formats[f]);
    try {
      const r = await client.invoke('annotations.export', { datasetId, target, formats: chosen, classes: [...classes], overwrite });
      if (r.status === 'conflict') setPhase({ kind: 'conflict', existing: r.existing });
      else setPhase({ kind: 'done', target: r.target, summary: r.summary });
    } catch (e) {
      const readOnly = e instanceof StudioError && e.details?.readOnly === true;
      setPhase({ kind: 'error', message: e instanceof Error ? e.message : String(e), readOnly });
      if (readOnly) targetRef.current?.select();
    }
  };

  const noFormat = !formats.mvtec && !formats['class-index'];
  return (
    <section className="panel-section" data-testid="annotate-export">
      <h3 className="section-title">Export masks</h3>
      <form
        className="annotate-export-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(false);
        }}
      >
        <input ref={targetRef} className="input" data-testid="export-target" aria-label="Export folder" value={target} onChange={(e) => setTarget(e.target.value)} />
        <div className="annotate-row">
          <label className="check">
            <input type="checkbox" data-testid="export-mvtec" checked={formats.mvtec} onChange={(e) => setFormats({ ...formats, mvtec: e.target.checked })} />
            MVTec ground_truth
          </label>
          <label className="check">
            <input
              type="checkbox"
              data-testid="export-class-index"
              checked={formats['class-index']}
              onChange={(e) => setFormats({ ...formats, 'class-index': e.target.checked })}
            />
            Class index
          </label>
        </div>
        <button className="btn small primary" data-testid="export-submit" type="submit" disabled={phase.kind === 'busy' || !target.trim() || noFormat}>
          {phase.kind === 'busy' ? 'Exporting…' : 'Export'}
        </button>
      </form>
      {phase.kind === 'conflict' && (
        <div className="error-box" role="alertdialog" data-testid="export-conflict">
          <span>
            {target} already holds {phase.existing.length === 20 ? '20 or more' : phase.existing.length} entries ({phase.existing.slice(0, 4).join(', ')}
            {phase.existing.length > 4 ? ', …' : ''}). Overwrite files with the same names?
          </span>
          <button className="btn small" data-testid="export-overwrite" onClick={() => void run(true)}>
            Overwrite
          </button>
          <button className="btn small ghost" data-testid="export-cancel" onClick={() => setPhase({ kind: 'idle' })}>
            Cancel
          </button>
        </div>
      )}
      {phase.kind === 'error' && (
        <div className="error-box" role="alert" data-testid="export-error" data-readonly={phase.readOnly ? 'true' : 'false'}>
          <span>{phase.readOnly ? `${phase.message} Type another folder above and export again.` : phase.message}</span>
        </div>
      )}
      {phase.kind === 'done' && (
        <p className="annotate-export-done" data-testid="export-result" data-target={phase.target} data-images={phase.summary.images.length}>
          Exported {phase.summary.images.length} masks to <span className="mono">{phase.target}</span>
          {phase.summary.classes
            .filter((c) => c.images > 0)
            .map((c) => ` · ${c.name}: ${c.images}`)
            .join('')}
        </p>
      )}
    </section>
  );
}
