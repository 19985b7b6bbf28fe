/**
 * The PyTorch half of the engine benchmark must degrade to `skipped` records, never fail, where PyTorch is absent:
 * `npm run bench` and the default test run never need Python. The interpreter is pointed at a path that does
 * not exist, so this test runs no Python either.
 */
import { describe, expect, it } from 'vitest';

describe('bench/engine-pytorch without PyTorch', () => {
  it('emits one skipped record per benchmark case, with the reason', async () => {
    process.env.DEFECT_STUDIO_TORCH_PYTHON = '/nonexistent/python3';
    const mod = await import('../../bench/engine-pytorch.js');
    const records: Record<string, unknown>[] = [];
    await mod.run((r) => records.push(r));
    expect(records.map((r) => r.bench)).toEqual(mod.TORCH_BENCH_CASES.map((c) => `engine.pytorch.${c.name}.step`));
    for (const r of records) {
      expect(r.skipped).toBe(true);
      expect(String(r.reason)).toMatch(/\/nonexistent\/python3.*python3-torch/);
    }
  });
});
