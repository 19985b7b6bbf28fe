/**
 * The Electron shell's launcher: jobs as Electron utility processes (Chromium's service-process model, no Node
 * child_process in a packaged app). Deliberately thin and untested here — Electron cannot run in this
 * environment — and it receives Electron's `utilityProcess` as an argument so that services never import
 * `electron`. Behaviour matches nodeLauncher: same entry script, same lines, same exit shape.
 */
import { CLI_ENTRY, lineSplitter, type ProcessLauncher } from './launcher.js';

/** The slice of Electron's `utilityProcess` API this adapter uses. */
export interface UtilityProcessApi {
  fork(
    modulePath: string,
    args: string[],
    options: { stdio: 'pipe'; cwd?: string; env?: Record<string, string | undefined>; execArgv?: string[]; serviceName?: string },
  ): {
    pid?: number;
    stdout: NodeJS.ReadableStream | null;
    stderr: NodeJS.ReadableStream | null;
    kill(): boolean;
    on(event: 'exit', cb: (code: number) => void): unknown;
  };
}

export function utilityProcessLauncher(utilityProcess: UtilityProcessApi, opts: { entry?: string; execArgv?: string[] } = {}): ProcessLauncher {
  return {
    launch(spec, lines) {
      const child = utilityProcess.fork(opts.entry ?? CLI_ENTRY, spec.args, {
        stdio: 'pipe',
        cwd: spec.cwd,
        env: { ...process.env, ...spec.env },
        execArgv: opts.execArgv,
        serviceName: 'Defect Studio job',
      });
      const out = lineSplitter(lines.stdout);
      const err = lineSplitter(lines.stderr);
      child.stdout?.on('data', out.push);
      child.stderr?.on('data', err.push);
      let done = false;
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.on('exit', (code) => {
          done = true;
          out.end();
          err.end();
          // utilityProcess reports no signal; a killed process has a non-zero code.
          resolve({ code, signal: null });
        }),
      );
      return {
        pid: child.pid ?? null,
        exited,
        kill: (signal) => {
          if (done) return;
          // utilityProcess.kill() sends SIGTERM; SIGKILL goes through the pid.
          if (signal === 'SIGTERM' || child.pid === undefined) child.kill();
          else process.kill(child.pid, 'SIGKILL');
        },
      };
    },
  };
}
