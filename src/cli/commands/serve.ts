import path from 'node:path';
import { flag, flagAll, hasFlag, intFlag, parseArgs } from '../args.js';
import { EXIT_OK, type CliCommand } from '../command.js';
import { StudioError } from '../../shared/errors.js';
import { DEFAULT_PORT, DEFAULT_RENDERER_DIR, PACKAGE_ROOT, startBrowserModeServer } from '../../main/server/index.js';
import { buildRenderer, rendererBuildReason } from '../../main/server/rendererBuild.js';
import { resolveWorkspaceRoot } from '../../main/workspace/paths.js';

const usage = `Usage: defect-studio serve [--port N] [--workspace DIR] [--allow-root DIR]... [--no-build]

Starts browser mode: the app's API, assets and UI on http://127.0.0.1:N/ (never on other interfaces), with a
new random access token for this launch. Prints one line with the URL to open (token included), then serves
until Ctrl+C.

Options:
  --port N          port on 127.0.0.1; 0 picks a free one. Default: $PORT, else ${DEFAULT_PORT} when free, else a
                    free one (a stable port keeps the browser's saved UI state across launches).
  --workspace DIR   where models, runs and caches live (default: $DEFECT_STUDIO_WORKSPACE or the per-user app
                    data folder).
  --allow-root DIR  also let the asset endpoint serve images under DIR (repeatable). Dataset folders you open in
                    the UI are allowed automatically.
  --no-build        do not (re)build the renderer when out/renderer is missing or stale (also:
                    DEFECT_STUDIO_NO_BUILD=1).`;

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export const command: CliCommand = {
  name: 'serve',
  summary: 'Start browser mode on 127.0.0.1 and print the URL with its access token',
  usage,
  async run(argv, io) {
    const args = parseArgs(argv, { values: ['port', 'workspace', 'allow-root'], booleans: ['no-build'] });
    if (args.positional.length) throw new StudioError('BAD_REQUEST', `serve takes no positional arguments, got "${args.positional.join(' ')}".\n\n${usage}`);
    const explicitPort = flag(args, 'port') !== undefined || process.env.PORT !== undefined;
    const port = flag(args, 'port') !== undefined ? intFlag(args, 'port', 0) : process.env.PORT ? Number(process.env.PORT) : DEFAULT_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new StudioError('BAD_REQUEST', `Port must be 0..65535, got "${port}".`);
    const workspaceFlag = flag(args, 'workspace');
    const workspace = workspaceFlag ? path.resolve(workspaceFlag) : resolveWorkspaceRoot();

    // DEFECT_STUDIO_NO_BUILD=1 does the same as --no-build for callers that cannot pass flags (npm start, tests).
    if (!hasFlag(args, 'no-build') && process.env.DEFECT_STUDIO_NO_BUILD !== '1') {
      const reason = await rendererBuildReason(PACKAGE_ROOT, DEFAULT_RENDERER_DIR);
      if (reason) {
        io.err(`Building the renderer (${reason})…`);
        await buildRenderer(PACKAGE_ROOT);
      }
    }

    const start = (p: number) => startBrowserModeServer({ workspace, port: p, extraRoots: flagAll(args, 'allow-root') });
    let server;
    try {
      server = await start(port);
    } catch (e) {
      // The default port is a convenience; when it is taken, any free port will do.
      if (explicitPort || !(e instanceof StudioError && e.code === 'INVALID_STATE')) throw e;
      io.err(`Port ${port} is in use; using a free port instead.`);
      server = await start(0);
    }
    const ep = await server.app.executionProvider();
    io.err(`Workspace: ${workspace}`);
    io.err(`Execution provider: ${ep.name}${ep.skipped.length ? ` (skipped ${ep.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : ''}`);
    io.out(`Defect Studio browser mode: ${server.url}`);
    const sig = await waitForSignal();
    io.err(`Stopping (${sig})…`);
    await server.close();
    return EXIT_OK;
  },
};
