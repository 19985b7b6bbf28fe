/**
 * What a job's child process says and how the jobs service reads it. The child (the CLI's `train --progress json`,
 * or any program speaking the same protocol) writes one JSON object per line on stderr for progress; every other
 * stderr line is a log line (`warning: …` / `error: …` set the level). Stdout keeps the command's own result (the
 * last JSON line), so the CLI's existing output contract is untouched.
 */
import type { JobProgressPoint } from '../../shared/contract/jobs.js';

export const PROGRESS_TYPE = 'progress';

export type ChildLine =
  | { kind: 'progress'; point: JobProgressPoint }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; message: string };

/** One progress line, as the child writes it (no trailing newline). */
export function formatProgressLine(p: Partial<JobProgressPoint> & { step: number }): string {
  return JSON.stringify({
    type: PROGRESS_TYPE,
    stage: p.stage ?? null,
    step: p.step,
    totalSteps: p.totalSteps ?? null,
    epoch: p.epoch ?? null,
    losses: p.losses ?? {},
    imagesPerSecond: p.imagesPerSecond ?? null,
    etaSeconds: p.etaSeconds ?? null,
    executionProvider: p.executionProvider ?? null,
  });
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Reads one stderr line of a child: a progress point when it is a well-formed progress object, else a log line. */
export function parseChildLine(line: string): ChildLine {
  const text = line.trimEnd();
  if (text.startsWith('{')) {
    try {
      const o = JSON.parse(text) as Record<string, unknown>;
      if (o && o.type === PROGRESS_TYPE && typeof o.step === 'number') {
        const losses: Record<string, number> = {};
        if (o.losses && typeof o.losses === 'object') {
          for (const [k, v] of Object.entries(o.losses as Record<string, unknown>)) if (num(v) !== null) losses[k] = v as number;
        }
        return {
          kind: 'progress',
          point: {
            step: Math.trunc(o.step),
            totalSteps: num(o.totalSteps) === null ? null : Math.trunc(o.totalSteps as number),
            epoch: num(o.epoch) === null ? null : Math.trunc(o.epoch as number),
            stage: typeof o.stage === 'string' ? o.stage : null,
            losses,
            imagesPerSecond: num(o.imagesPerSecond),
            etaSeconds: num(o.etaSeconds),
            executionProvider: typeof o.executionProvider === 'string' ? o.executionProvider : null,
          },
        };
      }
    } catch {
      /* not JSON after all: a log line */
    }
  }
  const level = /^error\b/i.test(text) ? 'error' : /^warn(ing)?\b/i.test(text) ? 'warn' : 'info';
  return { kind: 'log', level, message: text };
}

/** The last stdout line that is a JSON object: the command's result (train's summary, eval's metrics). */
export function lastJsonObject(lines: readonly string[]): Record<string, unknown> | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const t = lines[i].trim();
    if (!t.startsWith('{')) continue;
    try {
      const v = JSON.parse(t) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      /* keep looking */
    }
  }
  return null;
}
