/**
 * Heatmap to mask: the model's anomaly map above the threshold becomes a proposal painted in the current class, as
 * one undoable edit the user then corrects. Click a region with the Heatmap tool (H) to take only that component.
 */
import { useMemo } from 'react';
import type { AnnotateEditor } from '../editor/index.js';
import { useEditorValue } from './useEditorValue.js';

const STEPS = 200;

function range(data: Float32Array): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : { min: 0, max: 1 };
}

export function HeatmapPanel({ editor, runId, onError }: { editor: AnnotateEditor; runId: string | null; onError: (message: string) => void }) {
  const heatmap = useEditorValue(editor, 'heatmap', () => editor.getHeatmap());
  const threshold = useEditorValue(editor, 'threshold', () => editor.getSettings().threshold);
  const minArea = useEditorValue(editor, 'min area', () => editor.getSettings().minArea);
  const r = useMemo(() => (heatmap ? range(heatmap.data) : { min: 0, max: 1 }), [heatmap]);
  // Integer slider positions mapped to the map's range: the ends are exactly the map's min and max (a float range
  // input would round them through a string and leave the pixels at the minimum out).
  const toThreshold = (pos: number) => r.min + ((r.max - r.min) * pos) / STEPS;
  const position = Math.round(((threshold - r.min) / (r.max - r.min || 1)) * STEPS);
  return (
    <section className="panel-section" data-testid="annotate-heatmap" data-available={heatmap ? 'true' : 'false'}>
      <h3 className="section-title">Heatmap to mask</h3>
      {!heatmap && <p className="empty-note">No anomaly map for this image: run a model on it in Review first.</p>}
      {heatmap && runId && (
        <p className="dim mono annotate-filename" title={runId} data-testid="annotate-heatmap-run">
          run {runId}
        </p>
      )}
      <label className="field annotate-row">
        Threshold
        <input
          type="range"
          data-testid="annotate-threshold"
          min={0}
          max={STEPS}
          step={1}
          value={Math.max(0, Math.min(STEPS, position))}
          disabled={!heatmap}
          onChange={(e) => editor.updateSettings({ threshold: toThreshold(Number(e.target.value)) })}
        />
        <span className="mono annotate-num">{threshold.toPrecision(3)}</span>
      </label>
      <label className="field annotate-row">
        Min area
        <input
          className="input"
          type="number"
          min={0}
          data-testid="annotate-min-area"
          value={minArea}
          disabled={!heatmap}
          onChange={(e) => editor.updateSettings({ minArea: Number(e.target.value) })}
        />
      </label>
      <button
        className="btn small"
        data-testid="annotate-heatmap-apply"
        disabled={!heatmap}
        title="Paint every region above the threshold in the current class (Heatmap tool + Enter)"
        onClick={() => {
          try {
            if (!editor.applyHeatmapProposal()) onError('Nothing is above the threshold (or it is all painted already); lower the threshold.');
          } catch (e) {
            onError(e instanceof Error ? e.message : String(e));
          }
        }}
      >
        Propose mask
      </button>
    </section>
  );
}
