/** Handlers of the annotations contract (src/shared/contract/annotations.ts). */
import type { annotationCalls } from '../../shared/contract/annotations.js';
import type { DomainDeps, DomainModule } from './domain.js';

export async function createAnnotationsModule(_deps: DomainDeps): Promise<DomainModule<typeof annotationCalls>> {
  return { handlers: {} };
}
