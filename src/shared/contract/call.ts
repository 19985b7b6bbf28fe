/** One contract call = an input schema and an output schema (see src/shared/api.ts). */
import type { z } from 'zod';

export function call<I extends z.ZodType, O extends z.ZodType>(input: I, output: O) {
  return { input, output };
}
