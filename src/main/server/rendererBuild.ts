/**
 * Keeps out/renderer in step with the sources for browser mode, so `serve` and `npm start` work right after
 * `npm ci` with no manual build. Stale = index.html older than any renderer/shared source, the vite config or
 * the lockfile.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

const SOURCES = ['src/renderer', 'src/shared', 'vite.config.ts', 'package-lock.json'];

async function newestMtime(p: string): Promise<number> {
  const st = await stat(p).catch(() => null);
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of await readdir(p, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    newest = Math.max(newest, await newestMtime(path.join(p, entry.name)));
  }
  return newest;
}

/** null when up to date, else the reason it must be (re)built. */
export async function rendererBuildReason(packageRoot: string, rendererDir: string): Promise<string | null> {
  const index = await stat(path.join(rendererDir, 'index.html')).catch(() => null);
  if (!index) return `${rendererDir} has no build yet`;
  const sourcesMtime = Math.max(...(await Promise.all(SOURCES.map((s) => newestMtime(path.join(packageRoot, s))))));
  return sourcesMtime > index.mtimeMs ? 'the renderer sources changed since the last build' : null;
}

/** Builds the renderer with Vite in this process (no Electron needed). */
export async function buildRenderer(packageRoot: string): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: path.join(packageRoot, 'vite.config.ts'), logLevel: 'warn', mode: 'production' });
}
