/**
 * Tools, brush size, mask opacity, zoom and history controls. Everything here also has a key (see the help
 * overlay); the buttons exist so the screen works without a wheel and is discoverable.
 */
import { MAX_BRUSH_SIZE, MIN_BRUSH_SIZE, shallowEqual, TOOL_IDS, type AnnotateEditor, type ToolId } from '../editor/index.js';
import { useEditorValue } from './useEditorValue.js';

const TOOL_LABELS: Record<ToolId, { label: string; key: string }> = {
  brush: { label: 'Brush', key: 'B' },
  eraser: { label: 'Eraser', key: 'E' },
  polygon: { label: 'Polygon', key: 'P' },
  fill: { label: 'Fill', key: 'F' },
  heatmap: { label: 'Heatmap', key: 'H' },
  pan: { label: 'Pan', key: 'V' },
};

const ZOOM_STEP = 1.25;

export function AnnotateToolbar({ editor, onHelp }: { editor: AnnotateEditor; onHelp: () => void }) {
  const tool = useEditorValue(editor, 'tool', () => editor.getCurrentToolId());
  const brush = useEditorValue(editor, 'brush size', () => editor.getBrushSize());
  const opacity = useEditorValue(editor, 'opacity', () => editor.getSettings().maskOpacity);
  const zoom = useEditorValue(editor, 'zoom percent', () => Math.round(editor.getView().scale * 100));
  const history = useEditorValue(editor, 'history', () => ({ canUndo: editor.canUndo(), canRedo: editor.canRedo() }), shallowEqual);

  return (
    <header className="toolbar annotate-toolbar" role="toolbar" aria-label="Annotation tools">
      <div className="annotate-tools" role="group" aria-label="Tool">
        {TOOL_IDS.map((id) => (
          <button
            key={id}
            className={`btn small ${tool === id ? 'primary' : ''}`}
            data-testid={`annotate-tool-${id}`}
            aria-pressed={tool === id}
            title={`${TOOL_LABELS[id].label} (${TOOL_LABELS[id].key})`}
            onClick={() => editor.setCurrentTool(id)}
          >
            {TOOL_LABELS[id].label}
          </button>
        ))}
      </div>
      <div className="toolbar-sep" />
      <label className="field" title="Brush and eraser size in image pixels ([ and ])">
        Size
        <input
          type="range"
          data-testid="annotate-brush-size"
          min={MIN_BRUSH_SIZE}
          max={Math.min(MAX_BRUSH_SIZE, 256)}
          value={brush}
          onChange={(e) => editor.setBrushSize(Number(e.target.value))}
        />
        <span className="mono annotate-num" data-testid="annotate-brush-readout">
          {brush}px
        </span>
      </label>
      <label className="field" title="Mask opacity">
        Opacity
        <input
          type="range"
          data-testid="annotate-opacity"
          min={0}
          max={100}
          value={Math.round(opacity * 100)}
          onChange={(e) => editor.updateSettings({ maskOpacity: Number(e.target.value) / 100 })}
        />
      </label>
      <div className="toolbar-sep" />
      <button className="btn icon" data-testid="annotate-zoom-out" title="Zoom out (−)" aria-label="Zoom out" onClick={() => editor.zoomBy(1 / ZOOM_STEP)}>
        −
      </button>
      <span className="mono zoom-readout" data-testid="annotate-zoom" data-value={zoom}>
        {zoom}%
      </span>
      <button className="btn icon" data-testid="annotate-zoom-in" title="Zoom in (+)" aria-label="Zoom in" onClick={() => editor.zoomBy(ZOOM_STEP)}>
        +
      </button>
      <button className="btn small" data-testid="annotate-fit" title="Fit image (0)" onClick={() => editor.fitToViewport()}>
        Fit
      </button>
      <div className="toolbar-sep" />
      <button className="btn small" data-testid="annotate-undo" disabled={!history.canUndo} title="Undo (Ctrl+Z)" onClick={() => editor.undo()}>
        Undo
      </button>
      <button className="btn small" data-testid="annotate-redo" disabled={!history.canRedo} title="Redo (Ctrl+Shift+Z, Ctrl+Y)" onClick={() => editor.redo()}>
        Redo
      </button>
      <div className="toolbar-spacer" />
      <button className="btn small" data-testid="annotate-help" title="Keyboard shortcuts (?)" onClick={onHelp}>
        ? Keys
      </button>
    </header>
  );
}
