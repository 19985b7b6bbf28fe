/**
 * Models contract: listing trained model folders, their metrics, export (ONNX / Triton / zip).
 * Merged into `calls` / `events` by src/shared/api.ts; handlers live in src/main/router/models.ts.
 */
export const modelCalls = {} as const;
export const modelEvents = {} as const;
