/** Where the edits are: saving, on disk, or failed with the main process's sentence and a Retry button. */
import { useStoreValue } from '../state/store.js';
import type { MaskPersistence } from './MaskPersistence.js';

export function SaveStatus({ persistence }: { persistence: MaskPersistence }) {
  const s = useStoreValue(persistence, (v) => v);
  const label =
    s.status === 'saving' ? 'Saving…' : s.status === 'saved' ? 'All edits saved' : s.status === 'failed' ? 'Not saved to disk' : 'No edits yet';
  return (
    <div className={`annotate-save status-${s.status}`} data-testid="annotate-save-status" data-status={s.status} data-unsaved={s.unsaved} data-file={s.lastFile ?? ''}>
      <span className={`dot ${s.status === 'failed' ? 'dot-defect' : s.status === 'saved' ? 'dot-good' : 'dot-accent'}`} />
      <span>{label}</span>
      {s.unsaved > 0 && <span className="dim">({s.unsaved} kept in the browser)</span>}
      {s.status === 'failed' && (
        <div className="error-box" role="alert" data-testid="annotate-save-error">
          <span>{s.message} Your edits are kept in the browser database until a save succeeds.</span>
          <button className="btn small" data-testid="annotate-save-retry" onClick={() => void persistence.retry()}>
            Retry
          </button>
        </div>
      )}
    </div>
  );
}
