import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveInside } from '../../../src/main/workspace/pathGuard.js';

const base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ws-guard-')));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const root = path.join(base, 'data');
const sibling = path.join(base, 'data2'); // shares the prefix "data": a naive startsWith check would allow it
mkdirSync(path.join(root, 'good'), { recursive: true });
mkdirSync(sibling);
writeFileSync(path.join(root, 'good', 'a.png'), 'x');
writeFileSync(path.join(sibling, 'secret.txt'), 'x');
writeFileSync(path.join(base, 'outside.txt'), 'x');
symlinkSync(path.join(base, 'outside.txt'), path.join(root, 'escape.txt'));
symlinkSync(base, path.join(root, 'up'));
symlinkSync(path.join(root, 'good', 'a.png'), path.join(root, 'alias.png'));

const refused = { code: 'FORBIDDEN_PATH' };

describe('resolveInside', () => {
  it('allows files inside a root, relative or absolute, and returns the real path', async () => {
    expect(await resolveInside([root], 'good/a.png')).toBe(path.join(root, 'good', 'a.png'));
    expect(await resolveInside([root], path.join(root, 'good', 'a.png'))).toBe(path.join(root, 'good', 'a.png'));
    expect(await resolveInside([root], 'alias.png')).toBe(path.join(root, 'good', 'a.png')); // link staying inside
    expect(await resolveInside([root], 'good/new-mask.png')).toBe(path.join(root, 'good', 'new-mask.png')); // not yet created
    expect(await resolveInside([sibling, root], path.join(root, 'good'))).toBe(path.join(root, 'good'));
  });

  it('refuses .. escapes, absolute paths elsewhere and prefix look-alikes', async () => {
    await expect(resolveInside([root], '../outside.txt')).rejects.toMatchObject(refused);
    await expect(resolveInside([root], 'good/../../outside.txt')).rejects.toMatchObject(refused);
    await expect(resolveInside([root], '/etc/passwd')).rejects.toMatchObject(refused);
    await expect(resolveInside([root], path.join(sibling, 'secret.txt'))).rejects.toMatchObject(refused);
    await expect(resolveInside([root], '../data2/secret.txt')).rejects.toMatchObject(refused);
  });

  it('refuses symlinks that lead outside, even for files that do not exist yet', async () => {
    await expect(resolveInside([root], 'escape.txt')).rejects.toMatchObject(refused);
    await expect(resolveInside([root], 'up/outside.txt')).rejects.toMatchObject(refused);
    await expect(resolveInside([root], 'up/not-yet.txt')).rejects.toMatchObject(refused);
  });

  it('refuses NUL bytes, empty paths and an empty root list, with a message naming the path', async () => {
    await expect(resolveInside([root], 'good/a.png\0.txt')).rejects.toMatchObject(refused);
    await expect(resolveInside([root], '')).rejects.toMatchObject(refused);
    await expect(resolveInside([], 'a.png')).rejects.toMatchObject(refused);
    await expect(resolveInside([root], '../outside.txt')).rejects.toMatchObject({ message: expect.stringContaining('"../outside.txt" is outside') });
  });
});
