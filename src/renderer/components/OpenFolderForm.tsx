/**
 * Opens a dataset by its absolute folder path. Both modes use a text field: the API has no native folder dialog
 * call yet, and a browser page cannot learn absolute paths from <input type="file">.
 */
import { useState } from 'react';

export interface OpenFolderFormProps {
  busy: boolean;
  progress: { scanned: number; total: number | null } | null;
  onOpen: (root: string) => void;
}

export function OpenFolderForm({ busy, progress, onOpen }: OpenFolderFormProps) {
  const [root, setRoot] = useState('');
  return (
    <>
      <form
        className="open-form"
        onSubmit={(e) => {
          e.preventDefault();
          onOpen(root);
        }}
      >
        <input
          className="input mono"
          data-testid="open-path"
          placeholder="/absolute/path/to/dataset"
          spellCheck={false}
          value={root}
          onChange={(e) => setRoot(e.target.value)}
          aria-label="Dataset folder path"
        />
        <button className="btn primary" data-testid="open-submit" type="submit" disabled={busy}>
          {busy ? 'Scanning…' : 'Open'}
        </button>
      </form>
      {busy && progress && (
        <div className="scan-progress" data-testid="scan-progress">
          <div className="scan-progress-bar" style={{ width: progress.total ? `${Math.min(100, (100 * progress.scanned) / progress.total)}%` : '100%' }} />
          <span className="mono dim">
            {progress.scanned.toLocaleString('en-US')}
            {progress.total !== null ? ` / ${progress.total.toLocaleString('en-US')}` : ''} files read
          </span>
        </div>
      )}
    </>
  );
}
