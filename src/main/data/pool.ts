/** Runs `fn` over `items` with at most `concurrency` calls in flight; results keep the input order. */
import { StudioError } from '../../shared/errors.js';

export async function mapPool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      if (signal?.aborted) throw new StudioError('CANCELLED', 'The operation was cancelled.');
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return out;
}

/** A counting semaphore: at most `limit` holders at once, the rest wait in arrival order. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<R>(fn: () => Promise<R>): Promise<R> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * Runs a blocking `fn` over `items` in slices of about `sliceMs`, yielding to the event loop between slices
 * so that a long synchronous job (header reads of 10 000 files) never freezes the process for more than a
 * slice plus one call.
 */
export async function mapSliced<T, R>(
  items: readonly T[],
  fn: (item: T, index: number) => R,
  opts: { sliceMs?: number; signal?: AbortSignal; onSlice?: (done: number) => void } = {},
): Promise<R[]> {
  const sliceMs = opts.sliceMs ?? 8;
  const out = new Array<R>(items.length);
  let i = 0;
  while (i < items.length) {
    if (opts.signal?.aborted) throw new StudioError('CANCELLED', 'The operation was cancelled.');
    const start = performance.now();
    do {
      out[i] = fn(items[i], i);
      i++;
    } while (i < items.length && performance.now() - start < sliceMs);
    opts.onSlice?.(i);
    if (i < items.length) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return out;
}
