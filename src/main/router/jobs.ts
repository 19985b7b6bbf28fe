/** Handlers of the jobs contract (src/shared/contract/jobs.ts). */
import type { jobCalls } from '../../shared/contract/jobs.js';
import type { DomainDeps, DomainModule } from './domain.js';

export async function createJobsModule(_deps: DomainDeps): Promise<DomainModule<typeof jobCalls>> {
  return { handlers: {} };
}
