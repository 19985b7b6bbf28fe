/** Handlers of the review contract (src/shared/contract/review.ts): a ReviewService wired to the app's datasets and events. */
import type { reviewCalls } from '../../shared/contract/review.js';
import { ReviewService } from '../review/reviewService.js';
import { workspacePaths } from '../workspace/paths.js';
import type { DomainDeps, DomainModule } from './domain.js';

export async function createReviewModule(deps: DomainDeps): Promise<DomainModule<typeof reviewCalls> & { service: ReviewService }> {
  const paths = workspacePaths(deps.workspace);
  const service = new ReviewService({
    resultsDir: paths.results,
    modelsDir: paths.models,
    dataset: async (datasetId) => {
      const root = await deps.datasets.root(datasetId);
      const summary = (await deps.datasets.list()).find((d) => d.id === datasetId);
      const { items } = await deps.datasets.images(datasetId, {}, 0, 100_000);
      return { root, name: summary?.name ?? datasetId, images: items };
    },
    onProgress: (p) => deps.events.emit('review.progress', p),
    onResult: (runId, result) => deps.events.emit('review.result', { runId, result }),
  });
  return {
    service,
    handlers: {
      'review.models': () => service.listModels(),
      'review.run': (input) => service.start(input),
      'review.cancel': async ({ runId }) => {
        await service.cancel(runId);
        return { ok: true as const };
      },
      'review.runs': () => service.listRuns(),
      'review.results': ({ runId }) => service.results(runId),
      'review.decide': ({ runId, path, decision, label }) => service.decide(runId, path, decision, label),
      'review.mapInfo': ({ runId, path }) => service.mapInfo(runId, path),
    },
    dispose: () => service.dispose(),
  };
}
