/**
 * The API router: the one place where a call name plus untrusted input becomes a service call. Electron IPC,
 * the browser-mode HTTP server and tests all go through `dispatch`, so validation and error shaping are the
 * same everywhere. `dispatch` never throws: every failure becomes `{ ok: false, error }` with a StudioError code.
 */
import type { z } from 'zod';
import { calls, isCallName, type ApiResult, type CallName, type CallOutput, type Calls } from '../../shared/api.js';
import { StudioError, toStudioError } from '../../shared/errors.js';

/** One handler per contract call; the mapped type makes a missing handler a compile error. */
export type Handlers = {
  [N in CallName]: (input: z.output<Calls[N]['input']>) => Promise<CallOutput<N>> | CallOutput<N>;
};

export interface Router {
  readonly names: readonly CallName[];
  dispatch(name: string, input: unknown): Promise<ApiResult<unknown>>;
}

/** "filter.split: Invalid option…; limit: Too big…" — a sentence a person can act on. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`)
    .join('; ');
}

export function createRouter(handlers: Handlers, opts: { validateOutput?: boolean } = {}): Router {
  const validateOutput = opts.validateOutput ?? true;
  const names = Object.keys(calls) as CallName[];
  return {
    names,
    async dispatch(name, input) {
      if (!isCallName(name)) {
        return fail(new StudioError('NOT_FOUND', `Unknown API call "${name}". Known calls: ${names.join(', ')}.`));
      }
      const spec = calls[name];
      const parsed = spec.input.safeParse(input ?? {});
      if (!parsed.success) {
        return fail(
          new StudioError('BAD_REQUEST', `Invalid input for ${name}: ${describeIssues(parsed.error.issues)}.`, {
            issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
          }),
        );
      }
      try {
        const handler = handlers[name] as (input: unknown) => unknown;
        const value = await handler(parsed.data);
        if (!validateOutput) return { ok: true, value };
        // A handler returning off-contract data is our bug; say so instead of passing it to the renderer.
        const out = spec.output.safeParse(value);
        if (!out.success) {
          return fail(
            new StudioError('INTERNAL', `The ${name} handler returned data that breaks the API contract: ${describeIssues(out.error.issues)}.`),
          );
        }
        return { ok: true, value: out.data };
      } catch (e) {
        return fail(toStudioError(e));
      }
    },
  };
}

function fail(e: StudioError): ApiResult<never> {
  return { ok: false, error: e.toJSON() };
}
