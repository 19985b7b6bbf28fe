/** Handlers of the review contract (src/shared/contract/review.ts). */
import type { reviewCalls } from '../../shared/contract/review.js';
import type { DomainDeps, DomainModule } from './domain.js';

export async function createReviewModule(_deps: DomainDeps): Promise<DomainModule<typeof reviewCalls>> {
  return { handlers: {} };
}
