/**
 * Cancelling a long command from a terminal or from the jobs service: SIGINT / SIGTERM abort an AbortSignal, so
 * the training loop checkpoints before the process ends; a second signal ends the process at once.
 */
import type { CliIO } from './command.js';

/** Exit status of a cancelled command (128 + SIGINT, the shell's convention); the jobs service reads it as cancelled. */
export const EXIT_CANCELLED = 130;

export function abortOnSignals(io: Pick<CliIO, 'err'>): { signal: AbortSignal; dispose(): void } {
  const ctl = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (ctl.signal.aborted) process.exit(EXIT_CANCELLED);
    io.err(`${sig}: stopping at the next step${sig === 'SIGINT' ? ' (press Ctrl-C again to quit at once)' : ''}`);
    ctl.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ctl.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
