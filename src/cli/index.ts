import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { StudioError } from '../shared/errors.js';
import { EXIT_BAD_INPUT, EXIT_FAILURE, type CliCommand, type CliIO } from './command.js';

const commandsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'commands');

export async function loadCommands(): Promise<CliCommand[]> {
  const files = (await readdir(commandsDir)).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).sort();
  const commands: CliCommand[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(path.join(commandsDir, f)).href)) as { command?: CliCommand };
    if (mod.command) commands.push(mod.command);
  }
  return commands;
}

function helpText(commands: CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  return [
    'Defect Studio — surface-defect labeling and inspection',
    '',
    'Usage: node bin/defect-studio.js <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `node bin/defect-studio.js <command> --help` for a command\'s options.',
  ].join('\n');
}

const stdio: CliIO = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

export async function main(argv: string[], io: CliIO = stdio): Promise<number> {
  const commands = await loadCommands();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(helpText(commands));
    return name ? 0 : EXIT_BAD_INPUT;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`Unknown command "${name}".\n\n${helpText(commands)}`);
    return EXIT_BAD_INPUT;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof StudioError) {
      io.err(`error: ${e.message}`);
      return e.code === 'INTERNAL' || e.code === 'IO_ERROR' ? EXIT_FAILURE : EXIT_BAD_INPUT;
    }
    io.err(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT_FAILURE;
  }
}
