/**
 * The layering rule from docs/architecture.md, checked on the source text (the project has no lint step):
 * only the Electron shell imports `electron`; shared code stays runtime-neutral; the renderer never reaches into
 * the main process. A violation names the file and the import.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src');

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (/\.(ts|tsx|mts)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Module specifiers of static imports, re-exports and dynamic imports. */
function imports(text: string): string[] {
  const specs: string[] = [];
  const re = /(?:^|[^.\w])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[^.\w])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g;
  for (const m of text.matchAll(re)) specs.push(m[1] ?? m[2] ?? m[3]);
  return specs;
}

async function violations(files: string[], bad: (spec: string, file: string) => boolean): Promise<string[]> {
  const found: string[] = [];
  for (const f of files) {
    for (const spec of imports(await readFile(f, 'utf8'))) if (bad(spec, f)) found.push(`${path.relative(src, f)} imports "${spec}"`);
  }
  return found;
}

const isShell = (f: string) => f === path.join(src, 'main', 'index.ts') || f.startsWith(path.join(src, 'main', 'shell') + path.sep);

describe('layer boundaries', () => {
  it('the import scanner sees the kinds of import this rule depends on', () => {
    expect(imports(`import { app } from 'electron';\nexport { x } from './x.js';\nconst m = await import('../y.js');\nimport './side.css';`)).toEqual([
      'electron',
      './x.js',
      '../y.js',
      './side.css',
    ]);
  });

  it('only src/main/index.ts, src/main/shell and src/preload import electron', async () => {
    const files = (await sources(src)).filter((f) => !isShell(f) && !f.startsWith(path.join(src, 'preload') + path.sep));
    expect(await violations(files, (s) => s === 'electron' || s.startsWith('electron/'))).toEqual([]);
  });

  it('src/shared imports neither Node, nor main, nor renderer code', async () => {
    const files = await sources(path.join(src, 'shared'));
    expect(await violations(files, (s) => s.startsWith('node:') || s.includes('/main/') || s.includes('/renderer/') || s === 'electron')).toEqual([]);
  });

  it('the renderer never imports main-process code or Node built-ins', async () => {
    const files = await sources(path.join(src, 'renderer'));
    expect(await violations(files, (s) => s.startsWith('node:') || s.includes('/main/') || s === 'electron')).toEqual([]);
  });
});
