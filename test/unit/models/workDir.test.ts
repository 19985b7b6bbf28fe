import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { METHOD_CHECKPOINT } from '../../../src/main/models/methodLoop.js';
import { claimCheckpoint, HEAD_DIR_PREFIX } from '../../../src/main/models/workDir.js';

const layout = { settingsFile: 'stage-settings.json', stage: 'Test: the stage' };
const dirs: string[] = [];
function workDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'workdir-test-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('claimCheckpoint', () => {
  it('a fresh start drops the old checkpoint and heads before recording its settings', async () => {
    const d = workDir();
    writeFileSync(path.join(d, METHOD_CHECKPOINT), 'old network');
    mkdirSync(path.join(d, `${HEAD_DIR_PREFIX}x`));
    await claimCheckpoint(layout, d, false, { lr: 1 });
    expect(existsSync(path.join(d, METHOD_CHECKPOINT))).toBe(false);
    expect(existsSync(path.join(d, `${HEAD_DIR_PREFIX}x`))).toBe(false);
    expect(JSON.parse(readFileSync(path.join(d, layout.settingsFile), 'utf8'))).toEqual({ lr: 1 });
  });

  it('a resume checks the recorded settings: same ones pass, others are refused by name', async () => {
    const d = workDir();
    await claimCheckpoint(layout, d, false, { lr: 1, seed: 0 });
    writeFileSync(path.join(d, METHOD_CHECKPOINT), 'network');
    await expect(claimCheckpoint(layout, d, true, { lr: 1, seed: 0 })).resolves.toBeUndefined();
    await expect(claimCheckpoint(layout, d, true, { lr: 2, seed: 0 })).rejects.toThrow(/Test: the stage checkpoint .* other settings \(lr 1 -> 2\)/);
    expect(existsSync(path.join(d, METHOD_CHECKPOINT))).toBe(true);
  });

  it('an unreadable settings record is a clear error naming the file, not a crash or a silent resume', async () => {
    const d = workDir();
    writeFileSync(path.join(d, METHOD_CHECKPOINT), 'network');
    writeFileSync(path.join(d, layout.settingsFile), '{"lr": 1,'); // cut short, as by a crash mid-write
    await expect(claimCheckpoint(layout, d, true, { lr: 1 })).rejects.toThrow(/stage-settings\.json is not a readable settings record.*delete the work folder/);
  });
});
