/**
 * A CLI command is one file in src/cli/commands/ exporting `command`. The index discovers them, so adding a
 * command never edits a shared list. Exit codes: 0 ok, 1 unexpected failure, 2 bad input (usage, data, model).
 */
export interface CliIO {
  out: (line: string) => void; // stdout: results (JSON, CSV paths)
  err: (line: string) => void; // stderr: progress, warnings, errors
}

export interface CliCommand {
  name: string; // first word, e.g. 'datasets' or 'grad'
  summary: string; // one line for --help
  usage: string; // full usage text for `<name> --help`
  run(argv: string[], io: CliIO): Promise<number>;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;
