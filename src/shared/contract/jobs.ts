/**
 * Jobs contract: training / pretraining / fine-tuning jobs run in their own processes; progress and logs stream
 * as events. Merged into `calls` / `events` by src/shared/api.ts; handlers live in src/main/router/jobs.ts.
 */
import { z } from 'zod';

export const jobCalls = {} as const;

export const jobEvents = {
  'job.progress': z.object({
    jobId: z.string(),
    step: z.number().int(),
    totalSteps: z.number().int().nullable(),
    epoch: z.number().int().nullable(),
    losses: z.record(z.string(), z.number()),
    imagesPerSecond: z.number().nullable(),
    etaSeconds: z.number().nullable(),
    executionProvider: z.string().nullable(),
  }),
  'job.log': z.object({ jobId: z.string(), level: z.enum(['info', 'warn', 'error']), message: z.string(), time: z.string() }),
} as const;
