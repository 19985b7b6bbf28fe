/**
 * Review contract: running a trained model over a dataset (streamed results), scores, heatmaps, decisions.
 * Merged into `calls` / `events` by src/shared/api.ts; handlers live in src/main/router/review.ts.
 */
export const reviewCalls = {} as const;
export const reviewEvents = {} as const;
