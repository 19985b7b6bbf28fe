/**
 * A progress bar on stderr: redrawn in place on a terminal, one line per 10% otherwise (logs, CI), so piped
 * output stays readable.
 */
import type { CliIO } from './command.js';

export function progressBar(io: CliIO, stream: NodeJS.WriteStream = process.stderr): (stage: string, done: number, total: number) => void {
  const tty = Boolean(stream.isTTY);
  let lastStage = '';
  let lastDecile = -1;
  return (stage, done, total) => {
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    if (tty) {
      const width = 30;
      const filled = Math.round(frac * width);
      stream.write(`\r${stage.padEnd(10)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`);
      if (done >= total) stream.write('\n');
      return;
    }
    const decile = Math.floor(frac * 10);
    if (stage !== lastStage || decile !== lastDecile) {
      io.err(`${stage} ${done}/${total} (${Math.round(frac * 100)}%)`);
      lastStage = stage;
      lastDecile = decile;
    }
  };
}
