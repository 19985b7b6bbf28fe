/**
 * How a job's process is started. The jobs service only sees this interface, so the same service runs jobs as
 * Node child processes (browser mode, the CLI, tests) or as Electron utility processes (electronLauncher.ts).
 * A job in its own process means a crash or an out-of-memory kills the job, never the app.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LaunchSpec {
  /** Arguments after the entry script, e.g. ['train', '--method', 'patchcore', …]. */
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
}

export interface LineHandlers {
  stdout(line: string): void;
  stderr(line: string): void;
}

export interface JobProcess {
  readonly pid: number | null;
  /** Resolves when the process is gone and its output has been read. */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
}

export interface ProcessLauncher {
  launch(spec: LaunchSpec, lines: LineHandlers): JobProcess;
}

/** bin/defect-studio.js of this checkout / package. */
export const CLI_ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'defect-studio.js');

/** Splits a byte stream into lines; the last partial line is flushed when the stream ends. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer | string): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      rest += chunk.toString();
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        onLine(rest.slice(0, nl).replace(/\r$/, ''));
        rest = rest.slice(nl + 1);
      }
    },
    end() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}

/** Node child processes: `node [execArgv] ENTRY args…` with stdout/stderr piped line by line. */
export function nodeLauncher(opts: { entry?: string; execArgv?: string[]; nodePath?: string } = {}): ProcessLauncher {
  const entry = opts.entry ?? CLI_ENTRY;
  return {
    launch(spec, lines) {
      const child = spawn(opts.nodePath ?? process.execPath, [...(opts.execArgv ?? []), entry, ...spec.args], {
        cwd: spec.cwd,
        // Inside Electron, process.execPath is the Electron binary: ELECTRON_RUN_AS_NODE makes it a plain Node.
        env: { ...process.env, ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}), ...spec.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
      const out = lineSplitter(lines.stdout);
      const err = lineSplitter(lines.stderr);
      child.stdout.on('data', out.push);
      child.stderr.on('data', err.push);
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
        // 'close' comes after both pipes are drained, so no output line is lost.
        child.on('close', (code, signal) => {
          out.end();
          err.end();
          resolve({ code, signal });
        });
        child.on('error', (e) => {
          lines.stderr(`error: could not start the job process: ${e.message}`);
          resolve({ code: -1, signal: null });
        });
      });
      return {
        pid: child.pid ?? null,
        exited,
        kill: (signal) => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        },
      };
    },
  };
}
