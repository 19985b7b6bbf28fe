/**
 * The one check between a user- or network-supplied path and the file system. A path is allowed only when
 * its real location (all symlinks resolved) lies inside one of the allowed roots' real locations, so neither
 * `..` segments nor a symlink inside a root can reach outside it.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../../shared/errors.js';

function sameOrInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel));
}

/** realpath of the longest existing prefix, with the missing tail appended (for files about to be created). */
async function realpathLenient(p: string): Promise<string> {
  const missing: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return path.join(await realpath(cur), ...missing.reverse());
    } catch (e) {
      const errno = (e as NodeJS.ErrnoException).code;
      if (errno !== 'ENOENT' && errno !== 'ENOTDIR') throw e;
      const parent = path.dirname(cur);
      if (parent === cur) return p;
      missing.push(path.basename(cur));
      cur = parent;
    }
  }
}

/**
 * Resolves `userPath` (absolute, or relative to roots[0]) and returns its real absolute path, or throws
 * FORBIDDEN_PATH. Paths that do not exist yet are allowed when their nearest existing ancestor is inside.
 */
export async function resolveInside(roots: readonly string[], userPath: string): Promise<string> {
  if (roots.length === 0) throw new StudioError('FORBIDDEN_PATH', `No allowed folders are configured, so "${userPath}" is refused.`);
  if (typeof userPath !== 'string' || userPath.length === 0 || userPath.includes('\0')) {
    throw new StudioError('FORBIDDEN_PATH', `The path ${JSON.stringify(userPath)} is not a valid file path.`);
  }
  const candidate = path.resolve(roots[0], userPath);
  const realRoots = await Promise.all(roots.map((r) => realpathLenient(path.resolve(r))));
  const forbidden = () =>
    new StudioError(
      'FORBIDDEN_PATH',
      `The path "${userPath}" is outside the allowed folders (${roots.join(', ')}); open its folder as a dataset first.`,
      { path: userPath },
    );
  // The lexical check catches `..` escapes before touching the disk; the real-path check catches symlinks.
  if (!roots.some((r) => sameOrInside(path.resolve(r), candidate)) && !realRoots.some((r) => sameOrInside(r, candidate))) {
    throw forbidden();
  }
  const real = await realpathLenient(candidate);
  if (!realRoots.some((r) => sameOrInside(r, real))) throw forbidden();
  return real;
}
