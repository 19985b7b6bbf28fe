import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/index.js';
import { DatasetSummary } from '../../../src/shared/dataset.js';
import { maskPng, png, tmpDir, writeTree } from './fixtures.js';

const tmp = tmpDir('ds-cli-');
afterAll(tmp.cleanup);

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('datasets inspect', () => {
  it('--json prints the summary: layout, counts per split and label, masks, broken files with reasons', async () => {
    const root = path.join(tmp.dir, 'mv');
    const p = await png(24, 24);
    writeTree(root, {
      'train/good/0.png': p,
      'test/good/0.png': p,
      'test/hole/0.png': p,
      'test/hole/1.png': p.subarray(0, 40),
      'ground_truth/hole/0_mask.png': await maskPng(24, 24, true),
    });
    const r = await cli('datasets', 'inspect', root, '--json');
    expect(r.code).toBe(0);
    const s = DatasetSummary.parse(JSON.parse(r.out));
    expect(s).toMatchObject({
      layout: 'mvtec',
      total: 3,
      bySplitLabel: { train: { good: 1 }, test: { good: 1, hole: 1 } },
      withMask: 1,
      broken: [{ path: 'test/hole/1.png', reason: expect.stringMatching(/truncated PNG/) }],
    });

    const table = await cli('datasets', 'inspect', root);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/Layout\s+mvtec/);
    expect(table.out).toMatch(/test\s+1\s+1\s+2/); // good, hole, total
    expect(table.out).toContain('test/hole/1.png: truncated PNG');
  });

  it('a missing folder exits 2 with a message naming it', async () => {
    const missing = path.join(tmp.dir, 'nowhere');
    const r = await cli('datasets', 'inspect', missing, '--json');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(`${missing} does not exist`);
  });

  it('bad usage exits 2 with the usage text', async () => {
    expect((await cli('datasets', 'frobnicate')).code).toBe(2);
    expect((await cli('datasets', 'inspect')).err).toContain('Usage: node bin/defect-studio.js datasets inspect DIR');
  });
});
