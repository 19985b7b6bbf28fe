import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/defect-studio.js');
const list = (...only: string[]) =>
  execFileSync(process.execPath, [BIN, 'bench', ...only.flatMap((o) => ['--only', o]), '--list'], { encoding: 'utf8' }).trim().split('\n');

describe('bench --only', () => {
  it('an exact module name picks that module alone, a partial name every module containing it', () => {
    expect(list('core')).toEqual(['core']); // not patchcore too
    expect(list('patchcore')).toEqual(['patchcore']);
    expect(list('engine')).toEqual(['engine']);
    expect(list('engine-')).toEqual(['engine-pytorch']);
    expect(list('core', 'grid')).toEqual(['core', 'grid']);
  });
});
