import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rendererBuildReason } from '../../../src/main/server/rendererBuild.js';

let pkg: string;
const out = () => path.join(pkg, 'out', 'renderer');
const at = (file: string, seconds: number) => utimes(file, seconds, seconds);

beforeAll(async () => {
  pkg = await mkdtemp(path.join(os.tmpdir(), 'ds-rbuild-'));
  await mkdir(path.join(pkg, 'src', 'renderer', 'screens'), { recursive: true });
  await mkdir(path.join(pkg, 'src', 'shared'), { recursive: true });
  for (const f of ['src/renderer/screens/A.tsx', 'src/shared/api.ts', 'vite.config.ts', 'package-lock.json']) {
    await writeFile(path.join(pkg, f), '//');
    await at(path.join(pkg, f), 1_000_000);
  }
  for (const d of ['src/renderer/screens', 'src/renderer', 'src/shared', 'src']) await at(path.join(pkg, d), 1_000_000);
});
afterAll(async () => {
  await rm(pkg, { recursive: true, force: true });
});

describe('rendererBuildReason', () => {
  it('asks for a build when there is none', async () => {
    expect(await rendererBuildReason(pkg, out())).toMatch(/no build yet/);
  });

  it('is satisfied by a build newer than every source', async () => {
    await mkdir(out(), { recursive: true });
    await writeFile(path.join(out(), 'index.html'), '<html></html>');
    await at(path.join(out(), 'index.html'), 2_000_000);
    expect(await rendererBuildReason(pkg, out())).toBeNull();
  });

  it('asks again when a nested renderer source or the shared contract changes', async () => {
    await at(path.join(pkg, 'src/renderer/screens/A.tsx'), 3_000_000);
    expect(await rendererBuildReason(pkg, out())).toMatch(/changed/);
    await at(path.join(pkg, 'src/renderer/screens/A.tsx'), 1_000_000);
    await at(path.join(pkg, 'src/shared/api.ts'), 3_000_000);
    expect(await rendererBuildReason(pkg, out())).toMatch(/changed/);
  });
});
