import { StudioError } from '../shared/errors.js';

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string[]>; // --name value (repeatable); boolean flags map to ['true']
}

/**
 * Minimal GNU-style parser: `--name value`, `--name=value`, boolean `--flag` when listed in `booleans`.
 * Unknown flags are an error so that a typo never silently runs with defaults.
 */
export function parseArgs(argv: string[], spec: { values?: string[]; booleans?: string[] }): ParsedArgs {
  const values = new Set(spec.values ?? []);
  const booleans = new Set([...(spec.booleans ?? []), 'help']);
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--') || a === '--') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    let value: string;
    if (booleans.has(name)) value = eq < 0 ? 'true' : a.slice(eq + 1);
    else if (values.has(name)) {
      if (eq >= 0) value = a.slice(eq + 1);
      else {
        if (i + 1 >= argv.length) throw new StudioError('BAD_REQUEST', `Option --${name} needs a value.`);
        value = argv[++i];
      }
    } else throw new StudioError('BAD_REQUEST', `Unknown option --${name}.`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { positional, flags };
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return v ? v[v.length - 1] : undefined;
}

export function flagAll(args: ParsedArgs, name: string): string[] {
  return args.flags.get(name) ?? [];
}

export function hasFlag(args: ParsedArgs, name: string): boolean {
  return args.flags.get(name)?.[0] === 'true';
}

export function intFlag(args: ParsedArgs, name: string, fallback: number): number {
  const v = flag(args, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new StudioError('BAD_REQUEST', `Option --${name} must be an integer, got "${v}".`);
  return n;
}

export function requireFlag(args: ParsedArgs, name: string): string {
  const v = flag(args, name);
  if (v === undefined) throw new StudioError('BAD_REQUEST', `Missing required option --${name}.`);
  return v;
}
