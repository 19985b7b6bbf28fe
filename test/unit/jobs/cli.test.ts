/** `jobs list` / `jobs resume` through the CLI's main(), on a workspace with real job records. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/index.js';
import { nodeLauncher } from '../../../src/main/jobs/launcher.js';
import { JobsService } from '../../../src/main/jobs/service.js';
import { JobStore } from '../../../src/main/jobs/store.js';

const quick = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'quick.mjs');

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('jobs CLI', () => {
  it('lists jobs (text and JSON), marks a dead running job interrupted, refuses to resume a finished job', async () => {
    const workspace = await mkdtemp(path.join(tmpdir(), 'ds-jobcli-'));
    try {
      const empty = await run(['jobs', 'list', '--workspace', workspace]);
      expect(empty.code).toBe(0);
      expect(empty.out.join('\n')).toMatch(/No jobs/);

      const service = await JobsService.open({ workspace, launcher: nodeLauncher({ entry: quick }), argsFor: () => ['--ms', '10'] });
      const done = await service.start({ method: 'kd', datasetRoot: workspace, datasetName: 'tiles', settings: { evaluate: false } });
      await service.waitFor(done.id);
      const other = await service.start({ method: 'patchcore', datasetRoot: workspace, settings: { evaluate: false } });
      await service.waitFor(other.id);
      // A record left `running` by an app that died (no owner, no process).
      await new JobStore(workspace).save({ ...service.get(other.id), state: 'running', pid: 2 ** 22 + 17, ownerPid: null });

      const text = await run(['jobs', 'list', '--workspace', workspace]);
      expect(text.code).toBe(0);
      expect(text.out).toHaveLength(2);
      expect(text.out[1]).toMatch(new RegExp(`^${done.id}\\s+done\\s+kd\\s+tiles`));
      expect(text.out[0]).toMatch(/interrupted/);

      const json = await run(['jobs', 'list', '--workspace', workspace, '--json']);
      const list = JSON.parse(json.out[0]) as Array<{ id: string; state: string; resumable: boolean }>;
      expect(list.map((j) => [j.id, j.state, j.resumable])).toEqual([
        [other.id, 'interrupted', true],
        [done.id, 'done', false],
      ]);

      const refused = await run(['jobs', 'resume', done.id, '--workspace', workspace]);
      expect(refused.code).toBe(2);
      expect(refused.err.join('\n')).toMatch(/is done; only cancelled, interrupted or failed jobs can be resumed/);
      const unknown = await run(['jobs', 'resume', 'nope', '--workspace', workspace]);
      expect(unknown.code).toBe(2);
      expect(unknown.err.join('\n')).toMatch(/No job "nope"/);
      expect((await run(['jobs', 'frobnicate', '--workspace', workspace])).code).toBe(2);
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  }, 30_000);
});
