/**
 * A domain module = the handlers of one contract file (src/shared/contract/<domain>.ts) plus what it must release
 * when the app closes. createStudioApp builds each module from the same DomainDeps, so domains never reach into
 * each other's internals and adding one is one file here plus one line in app.ts.
 */
import type { z } from 'zod';
import type { ExecutionProviderInfo } from './app.js';
import type { DatasetsPort } from './datasets.js';
import type { EventBus } from './events.js';

type CallSpec = { input: z.ZodType; output: z.ZodType };

export type HandlersFor<C extends Record<string, CallSpec>> = {
  [N in keyof C]: (input: z.output<C[N]['input']>) => Promise<z.output<C[N]['output']>> | z.output<C[N]['output']>;
};

export interface DomainDeps {
  /** Absolute workspace root (models, results, jobs and caches live under it; see workspace/paths.ts). */
  workspace: string;
  events: EventBus;
  datasets: DatasetsPort;
  allowedRoots(): Promise<string[]>;
  executionProvider(): Promise<ExecutionProviderInfo>;
}

export interface DomainModule<C extends Record<string, CallSpec>> {
  handlers: HandlersFor<C>;
  dispose?(): Promise<void>;
}
