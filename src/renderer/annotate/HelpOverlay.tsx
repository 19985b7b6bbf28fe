/** Keyboard shortcuts of the Annotate screen, from editor/shortcuts.ts plus the screen's own keys. */
import { useEffect, useRef } from 'react';
import { SHORTCUTS } from '../editor/index.js';

export const SCREEN_SHORTCUTS = [
  { keys: ['?'], label: 'Show or hide this help' },
  { keys: ['PageUp', 'PageDown'], label: 'Previous / next image' },
  { keys: ['Wheel'], label: 'Zoom at the pointer (optional: + − 0 and the toolbar do the same)' },
  { keys: ['Middle drag'], label: 'Pan' },
] as const;

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => closeRef.current?.focus(), []);
  return (
    <div className="annotate-help" data-testid="annotate-help-overlay" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts">
      <div className="annotate-help-card">
        <header className="annotate-help-head">
          <h3 className="section-title">Keyboard shortcuts</h3>
          <button ref={closeRef} className="btn small" data-testid="annotate-help-close" onClick={onClose}>
            Close (Esc)
          </button>
        </header>
        <table className="counts">
          <tbody>
            {[...SHORTCUTS, ...SCREEN_SHORTCUTS].map((s) => (
              <tr key={s.label} data-testid="annotate-shortcut">
                <td className="keys">
                  {s.keys.map((k) => (
                    <kbd key={k}>{k === ' ' ? 'Space' : k}</kbd>
                  ))}
                </td>
                <td>{s.label}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
