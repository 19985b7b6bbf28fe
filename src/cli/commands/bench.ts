import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { flagAll, parseArgs } from '../args.js';
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, type CliCommand, type CliIO } from '../command.js';
import { StudioError } from '../../shared/errors.js';

const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench');

const usage = `Usage: defect-studio bench [--only NAME]... [--list]

Runs every benchmark module in bench/*.ts one after another (each exports \`run(emit)\`) and prints one JSON
line per record on stdout; progress and errors go to stderr. A module that throws is reported as a record
{"bench":"<file>","error":"…"} and the exit code is 1, after the other modules have run.

Options:
  --only NAME       run only the module NAME, or those whose file name contains NAME when none is
                    called exactly that (repeatable: any match)
  --list            print the module names and exit`;

export type Emit = (record: Record<string, unknown>) => void;
interface BenchModule {
  run?: (emit: Emit) => Promise<void>;
}

export async function discoverBenchmarks(dir = BENCH_DIR): Promise<string[]> {
  const files = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  return files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('_')).sort();
}

/** Runs the chosen modules sequentially (timings must not compete); returns how many failed. */
export async function runBenchmarks(files: string[], io: CliIO, dir = BENCH_DIR): Promise<number> {
  let failures = 0;
  for (const file of files) {
    const name = file.replace(/\.ts$/, '');
    const started = Date.now();
    io.err(`bench: ${name}…`);
    try {
      const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as BenchModule;
      if (typeof mod.run !== 'function') throw new StudioError('BAD_REQUEST', `bench/${file} does not export run(emit).`);
      let count = 0;
      await mod.run((record) => {
        count++;
        io.out(JSON.stringify({ file: name, ...record }));
      });
      io.err(`bench: ${name} done, ${count} record(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } catch (e) {
      failures++;
      const message = e instanceof Error ? e.message : String(e);
      io.out(JSON.stringify({ bench: name, file: name, error: message }));
      io.err(`bench: ${name} FAILED: ${e instanceof Error && !(e instanceof StudioError) ? (e.stack ?? message) : message}`);
    }
  }
  return failures;
}

export const command: CliCommand = {
  name: 'bench',
  summary: 'Run the benchmarks in bench/ and print one JSON line per measurement',
  usage,
  async run(argv, io) {
    const args = parseArgs(argv, { values: ['only'], booleans: ['list'] });
    const only = flagAll(args, 'only');
    const all = await discoverBenchmarks();
    // A term naming a benchmark exactly picks that one ("core" must not also run "patchcore"); otherwise it is a substring.
    const names = all.map((f) => f.replace(/\.ts$/, ''));
    const picks = (f: string, term: string) => (names.includes(term) ? f.replace(/\.ts$/, '') === term : f.includes(term));
    const chosen = only.length ? all.filter((f) => only.some((s) => picks(f, s))) : all;
    if (args.flags.has('list')) {
      for (const f of chosen) io.out(f.replace(/\.ts$/, ''));
      return EXIT_OK;
    }
    if (chosen.length === 0) {
      io.err(only.length ? `No benchmark in bench/ matches ${only.map((s) => `"${s}"`).join(', ')}. Available: ${all.join(', ') || 'none'}.` : 'No benchmarks found in bench/.');
      return EXIT_BAD_INPUT;
    }
    const failures = await runBenchmarks(chosen, io);
    return failures ? EXIT_FAILURE : EXIT_OK;
  },
};
