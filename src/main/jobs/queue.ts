/**
 * The job queue: first in, first out, at most `capacity` heavy jobs at a time (one per GPU / per machine; the
 * default 1 keeps two trainings from fighting over the same cores or device memory). Pure bookkeeping: the
 * service asks `takeStartable()` what to launch and reports `finished()`.
 */
export class JobQueue {
  private readonly waiting: string[] = [];
  private readonly active = new Set<string>();

  constructor(private readonly capacity = 1) {}

  enqueue(id: string): void {
    if (!this.waiting.includes(id) && !this.active.has(id)) this.waiting.push(id);
  }

  /** Removes a waiting job; false when it was not waiting. */
  remove(id: string): boolean {
    const i = this.waiting.indexOf(id);
    if (i < 0) return false;
    this.waiting.splice(i, 1);
    return true;
  }

  /** The jobs that may start now, marked active, in queue order. */
  takeStartable(): string[] {
    const started: string[] = [];
    while (this.active.size < this.capacity && this.waiting.length) {
      const id = this.waiting.shift()!;
      this.active.add(id);
      started.push(id);
    }
    return started;
  }

  finished(id: string): void {
    this.active.delete(id);
  }

  position(id: string): number | null {
    const i = this.waiting.indexOf(id);
    return i < 0 ? null : i;
  }

  get running(): string[] {
    return [...this.active];
  }

  get queued(): string[] {
    return [...this.waiting];
  }
}
