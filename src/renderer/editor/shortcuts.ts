import type { AnnotateEditor } from './AnnotateEditor.js';
import type { Modifiers } from './tools/events.js';

/**
 * Single-key bindings of the Annotate screen, in the order the help overlay lists them. Everything frequent has
 * a key, and zoom/pan have keys too, so the screen works without a mouse wheel. Modified keys (Ctrl/Cmd+Z,
 * Escape, Enter) are handled in AnnotateEditor.keyDown and listed here for the overlay only (`run` absent).
 */
export interface Shortcut {
  keys: readonly string[];
  label: string;
  run?: (editor: AnnotateEditor) => void;
}

const PAN_STEP_SCREEN_PX = 64;
const ZOOM_STEP = 1.25;
const BRUSH_STEP = 1.25;

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: ['b'], label: 'Brush', run: (e) => e.setCurrentTool('brush') },
  { keys: ['e'], label: 'Eraser', run: (e) => e.setCurrentTool('eraser') },
  { keys: ['p'], label: 'Polygon', run: (e) => e.setCurrentTool('polygon') },
  { keys: ['f'], label: 'Flood fill', run: (e) => e.setCurrentTool('fill') },
  { keys: ['h'], label: 'Heatmap to mask', run: (e) => e.setCurrentTool('heatmap') },
  { keys: ['v'], label: 'Pan', run: (e) => e.setCurrentTool('pan') },
  { keys: ['Space (hold)'], label: 'Drag to pan while held' },
  { keys: ['['], label: 'Smaller brush', run: (e) => e.setBrushSize(Math.floor(e.getBrushSize() / BRUSH_STEP)) },
  { keys: [']'], label: 'Larger brush', run: (e) => e.setBrushSize(Math.ceil(e.getBrushSize() * BRUSH_STEP)) },
  { keys: ['1', '2', '3', '4', '5', '6', '7', '8', '9'], label: 'Select defect class 1-9', run: undefined },
  { keys: ['+', '='], label: 'Zoom in', run: (e) => e.zoomBy(ZOOM_STEP) },
  { keys: ['-'], label: 'Zoom out', run: (e) => e.zoomBy(1 / ZOOM_STEP) },
  { keys: ['0'], label: 'Fit image to view', run: (e) => e.fitToViewport() },
  { keys: ['ArrowLeft'], label: 'Pan left', run: (e) => e.panBy(PAN_STEP_SCREEN_PX, 0) },
  { keys: ['ArrowRight'], label: 'Pan right', run: (e) => e.panBy(-PAN_STEP_SCREEN_PX, 0) },
  { keys: ['ArrowUp'], label: 'Pan up', run: (e) => e.panBy(0, PAN_STEP_SCREEN_PX) },
  { keys: ['ArrowDown'], label: 'Pan down', run: (e) => e.panBy(0, -PAN_STEP_SCREEN_PX) },
  { keys: ['Enter'], label: 'Close polygon / apply heatmap proposal' },
  { keys: ['Escape'], label: 'Cancel the stroke or polygon in progress' },
  { keys: ['Backspace'], label: 'Remove the last polygon point' },
  { keys: ['Ctrl+Z'], label: 'Undo' },
  { keys: ['Ctrl+Shift+Z', 'Ctrl+Y'], label: 'Redo' },
];

/** The binding for an unmodified key press, or null. Digits pick the n-th class in id order. */
export function matchShortcut(key: string, mods: Modifiers): { run: (editor: AnnotateEditor) => void } | null {
  if (mods.ctrlKey || mods.metaKey || mods.altKey) return null;
  if (/^[1-9]$/.test(key)) {
    const n = Number(key) - 1;
    return {
      run: (e) => {
        const c = e.getClasses()[n];
        if (c) e.setCurrentClass(c.id);
      },
    };
  }
  const k = key.length === 1 ? key.toLowerCase() : key;
  const s = SHORTCUTS.find((sc) => sc.run && sc.keys.includes(k));
  return s?.run ? { run: s.run } : null;
}
