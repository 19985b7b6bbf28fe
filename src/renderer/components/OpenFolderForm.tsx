/**
 * Opens a dataset by its absolute folder path. Both modes use a text field: the API has no native folder dialog
 * call yet, and a browser page cannot learn absolute paths from <input type="file">.
 */
import { useState } from 'react';

export function OpenFolderForm({ busy, onOpen }: { busy: boolean; onOpen: (root: string) => void }) {
  const [root, setRoot] = useState('');
  return (
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
  );
}
