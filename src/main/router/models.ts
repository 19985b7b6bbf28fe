/** Handlers of the models contract (src/shared/contract/models.ts). */
import type { modelCalls } from '../../shared/contract/models.js';
import type { DomainDeps, DomainModule } from './domain.js';

export async function createModelsModule(_deps: DomainDeps): Promise<DomainModule<typeof modelCalls>> {
  return { handlers: {} };
}
