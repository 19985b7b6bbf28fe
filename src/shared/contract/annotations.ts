/**
 * Annotations contract: saving and loading defect masks (PNG next to the dataset's annotation folder), export.
 * Merged into `calls` / `events` by src/shared/api.ts; handlers live in src/main/router/annotations.ts.
 */
export const annotationCalls = {} as const;
export const annotationEvents = {} as const;
