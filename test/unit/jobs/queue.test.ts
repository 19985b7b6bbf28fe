/** Queue ordering: FIFO, one heavy job at a time, cancel of a waiting job; the service on real processes. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../../src/shared/contract/jobs.js';
import { nodeLauncher } from '../../../src/main/jobs/launcher.js';
import { JobQueue } from '../../../src/main/jobs/queue.js';
import { JobsService } from '../../../src/main/jobs/service.js';

const quick = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'quick.mjs');

describe('JobQueue', () => {
  it('starts jobs first in, first out, never more than its capacity', () => {
    const q = new JobQueue(1);
    q.enqueue('a');
    q.enqueue('b');
    q.enqueue('c');
    q.enqueue('a'); // already queued: no duplicate
    expect(q.takeStartable()).toEqual(['a']);
    expect(q.takeStartable()).toEqual([]);
    expect(q.position('c')).toBe(1);
    expect(q.remove('b')).toBe(true);
    expect(q.remove('b')).toBe(false);
    q.finished('a');
    expect(q.takeStartable()).toEqual(['c']);
    q.finished('c');
    expect(q.takeStartable()).toEqual([]);

    const two = new JobQueue(2);
    for (const id of ['x', 'y', 'z']) two.enqueue(id);
    expect(two.takeStartable()).toEqual(['x', 'y']);
    two.finished('y');
    expect(two.takeStartable()).toEqual(['z']);
  });
});

describe('JobsService queue', () => {
  it('runs queued jobs one at a time in start order; a cancelled waiting job never runs', async () => {
    const workspace = await mkdtemp(path.join(tmpdir(), 'ds-jobq-'));
    try {
      const events: Array<[string, JobRecord['state']]> = [];
      let running = 0;
      let maxRunning = 0;
      const service = await JobsService.open({
        workspace,
        launcher: nodeLauncher({ entry: quick }),
        argsFor: () => ['--ms', '250'],
        emit: {
          state: (job) => {
            const last = events.filter(([id]) => id === job.id).at(-1)?.[1];
            if (last === job.state) return;
            events.push([job.id, job.state]);
            if (job.state === 'running') maxRunning = Math.max(maxRunning, ++running);
            else if (last === 'running') running--;
          },
        },
      });
      const settings = { evaluate: false };
      const a = await service.start({ method: 'm', datasetRoot: workspace, settings });
      const b = await service.start({ method: 'm', datasetRoot: workspace, settings });
      const c = await service.start({ method: 'm', datasetRoot: workspace, settings });
      const d = await service.start({ method: 'm', datasetRoot: workspace, settings });
      expect(service.get(b.id).state).toBe('queued');
      await service.cancel(c.id);
      for (const j of [a, b, d]) expect((await service.waitFor(j.id)).state).toBe('done');
      expect(service.get(c.id).state).toBe('cancelled');
      expect(maxRunning).toBe(1);
      const startOrder = events.filter(([, s]) => s === 'running').map(([id]) => id);
      expect(startOrder).toEqual([a.id, b.id, d.id]);
      // Each job ended before the next one started.
      const idx = (id: string, s: string) => events.findIndex(([i, st]) => i === id && st === s);
      expect(idx(a.id, 'done')).toBeLessThan(idx(b.id, 'running'));
      expect(idx(b.id, 'done')).toBeLessThan(idx(d.id, 'running'));
      // Newest first in the list.
      expect(service.list().map((j) => j.id)).toEqual([d.id, c.id, b.id, a.id]);
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  }, 30_000);
});
