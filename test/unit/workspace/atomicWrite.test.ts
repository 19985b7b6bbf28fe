import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { atomicWrite, readJsonFile, writeError, writeJsonAtomic } from '../../../src/main/workspace/atomicWrite.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ws-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('atomicWrite', () => {
  it('writes, overwrites, creates parent folders and leaves no temp files', async () => {
    const f = path.join(dir, 'sub', 'deeper', 'a.json');
    await atomicWrite(f, 'one');
    await atomicWrite(f, new Uint8Array([116, 119, 111]));
    expect(readFileSync(f, 'utf8')).toBe('two');
    expect(readdirSync(path.dirname(f))).toEqual(['a.json']);
  });

  it('concurrent writers never leave a mixed file: the result is one of the complete versions', async () => {
    const f = path.join(dir, 'race.txt');
    const versions = Array.from({ length: 20 }, (_, i) => String(i).repeat(50_000));
    await Promise.all(versions.map((v) => atomicWrite(f, v)));
    expect(versions).toContain(readFileSync(f, 'utf8'));
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('a failed write is an IO_ERROR naming the file, and the temp file is removed', async () => {
    const blocker = path.join(dir, 'iam-a-file');
    writeFileSync(blocker, 'x');
    const target = path.join(blocker, 'child.json'); // parent is a file: ENOTDIR/EEXIST
    await expect(atomicWrite(target, 'data')).rejects.toMatchObject({ code: 'IO_ERROR', message: expect.stringContaining(target) });
  });

  it('disk-full and read-only errors get a sentence saying what to do', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(writeError('/ws/x.json', err('ENOSPC'))).toMatchObject({
      code: 'IO_ERROR',
      message: 'Could not write /ws/x.json: the disk is full; free some space and try again.',
    });
    expect(writeError('/ws/x.json', err('EROFS')).message).toBe(
      'Could not write /ws/x.json: the file system is read-only; choose a writable workspace (DEFECT_STUDIO_WORKSPACE).',
    );
  });
});

describe('readJsonFile', () => {
  const Schema = z.object({ n: z.number() });
  it('returns the fallback for a missing file and the value for a valid one', async () => {
    expect(await readJsonFile(path.join(dir, 'none.json'), Schema, { n: 0 })).toEqual({ n: 0 });
    await writeJsonAtomic(path.join(dir, 'v.json'), { n: 3 });
    expect(await readJsonFile(path.join(dir, 'v.json'), Schema, { n: 0 })).toEqual({ n: 3 });
  });
  it('UNREADABLE naming the file for invalid JSON or the wrong shape', async () => {
    writeFileSync(path.join(dir, 'bad.json'), '{ not json');
    await expect(readJsonFile(path.join(dir, 'bad.json'), Schema, { n: 0 })).rejects.toMatchObject({
      code: 'UNREADABLE',
      message: expect.stringMatching(/bad\.json is not valid JSON .*fix or delete it/),
    });
    writeFileSync(path.join(dir, 'shape.json'), '{"n":"three"}');
    await expect(readJsonFile(path.join(dir, 'shape.json'), Schema, { n: 0 })).rejects.toMatchObject({ code: 'UNREADABLE' });
  });
});
