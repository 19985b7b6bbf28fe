/**
 * Composition root: builds the services for one app instance and wires them to the router, the event bus and
 * the asset resolver. The Electron shell, the browser-mode server and the CLI all start here, so a service is
 * wired once and behaves the same in every mode. Nothing here is a module global: two apps (e.g. two test
 * servers) never share state.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CallOutput } from '../../shared/api.js';
import { createAssetResolver, type AssetResolver } from './assets.js';
import { EventBus } from './events.js';
import { createRouter, type Router } from './router.js';
import { createDatasetsPort, type DatasetsPort } from './datasets.js';
import { createAnnotationsModule } from './annotations.js';
import type { DomainDeps } from './domain.js';
import { createJobsModule, type JobsModuleOptions } from './jobs.js';
import { createModelsModule } from './models.js';
import { createReviewModule } from './review.js';

export type ExecutionProviderInfo = CallOutput<'app.info'>['executionProvider'];

export interface StudioAppOptions {
  mode: 'electron' | 'browser';
  /** Absolute workspace root (see resolveWorkspaceRoot). */
  workspace: string;
  version: string;
  /** Extra folders the asset endpoint may serve besides opened datasets and the workspace. */
  extraRoots?: string[];
  /** Which ORT execution provider compute will use; asked once, lazily. */
  executionProvider?: () => Promise<ExecutionProviderInfo>;
  /** Replaces the datasets service (tests of the router and server). */
  datasets?: DatasetsPort;
  /** How job processes start (the Electron shell passes its utilityProcess launcher; default Node child processes). */
  jobs?: JobsModuleOptions;
}

export interface StudioApp {
  readonly router: Router;
  readonly events: EventBus;
  readonly assets: AssetResolver;
  readonly workspace: string;
  readonly datasets: DatasetsPort;
  allowedRoots(): Promise<string[]>;
  executionProvider(): Promise<ExecutionProviderInfo>;
  close(): Promise<void>;
}

/**
 * The engine's provider choice (CUDA on Linux, DirectML on Windows, else CPU, each probed with a real session).
 * Imported lazily so that starting the app does not load ONNX Runtime until someone asks.
 */
export async function defaultExecutionProvider(): Promise<ExecutionProviderInfo> {
  const { chooseProvider } = await import('../engine/runtime/providers.js');
  const choice = await chooseProvider();
  return { name: choice.provider, skipped: choice.skipped.map((s) => ({ name: s.provider, reason: s.reason })) };
}

export async function createStudioApp(opts: StudioAppOptions): Promise<StudioApp> {
  const workspace = path.resolve(opts.workspace);
  const events = new EventBus();
  const datasets = opts.datasets ?? (await createDatasetsPort({ workspace, events }));
  let provider: Promise<ExecutionProviderInfo> | null = null;
  const executionProvider = () => (provider ??= (opts.executionProvider ?? defaultExecutionProvider)());

  const allowedRoots = async () => [
    workspace,
    ...(opts.extraRoots ?? []).map((r) => path.resolve(r)),
    ...(await datasets.list()).map((d) => d.root),
  ];

  const deps: DomainDeps = { workspace, events, datasets, allowedRoots, executionProvider };
  const review = await createReviewModule(deps);
  const annotations = await createAnnotationsModule(deps);
  const jobs = await createJobsModule(deps, opts.jobs);
  const models = await createModelsModule(deps);
  const modules = [review, annotations, jobs, models];

  const router = createRouter({
    ...review.handlers,
    ...annotations.handlers,
    ...jobs.handlers,
    ...models.handlers,
    'app.info': async () => ({
      version: opts.version,
      mode: opts.mode,
      platform: process.platform,
      workspace,
      executionProvider: await executionProvider(),
    }),
    'datasets.open': ({ root }) => datasets.open(root),
    'datasets.list': () => datasets.list(),
    'datasets.rescan': ({ datasetId }) => datasets.rescan(datasetId),
    'datasets.close': async ({ datasetId }) => {
      await datasets.close(datasetId);
      return { ok: true as const };
    },
    'datasets.images': ({ datasetId, filter, offset, limit }) => datasets.images(datasetId, filter, offset, limit),
  });

  const assets = createAssetResolver({
    datasetRoot: async (id) => datasets.root(id),
    thumbnail: (id, rel, size) => datasets.thumbnail(id, rel, size),
    allowedRoots,
  });

  return {
    router,
    events,
    assets,
    workspace,
    datasets,
    allowedRoots,
    executionProvider,
    close: async () => {
      for (const m of modules) await m.dispose?.();
      await datasets.dispose();
    },
  };
}

/** Version of the package this file ships in: nearest package.json named defect-studio above `fromDir`. */
export function readPackageVersion(fromDir: string): string {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'defect-studio' && pkg.version) return pkg.version;
    } catch {
      /* keep walking up */
    }
    if (path.dirname(dir) === dir) return '0.0.0';
  }
}
