/** Bottom status bar: how the app runs (Electron or browser), the execution provider, the workspace. */
import type { CallOutput } from '../../shared/api.js';

export function StatusBar({ info, error }: { info: CallOutput<'app.info'> | null; error: string | null }) {
  if (!info) {
    return (
      <footer className="statusbar" data-testid="statusbar">
        <span className={error ? 'status-error' : 'dim'}>{error ?? 'Connecting…'}</span>
      </footer>
    );
  }
  const skipped = info.executionProvider.skipped.map((s) => `${s.name}: ${s.reason}`).join('\n');
  return (
    <footer className="statusbar" data-testid="statusbar">
      <span className="status-item" data-testid="status-mode" title={`Running in ${info.mode} mode on ${info.platform}`}>
        <span className={`dot ${info.mode === 'electron' ? 'dot-accent' : 'dot-good'}`} />
        {info.mode}
      </span>
      <span className="status-item" data-testid="status-ep" title={skipped ? `Skipped providers:\n${skipped}` : 'Execution provider'}>
        EP <b>{info.executionProvider.name}</b>
      </span>
      <span className="status-item mono" data-testid="status-workspace" title="Workspace folder">
        {info.workspace}
      </span>
      <span className="status-spacer" />
      {error && <span className="status-error">{error}</span>}
      <span className="status-item dim">v{info.version}</span>
    </footer>
  );
}
