/**
 * Lists the image files under a dataset root. Symlinked folders are followed once: every folder is tracked by
 * its real path, so a link back to an ancestor (a loop) or to a folder already listed is skipped with a
 * warning instead of recursing forever. Links that leave the root are skipped too, because the app only
 * serves files whose real path is inside an opened folder (see workspace/pathGuard.ts).
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../../shared/errors.js';
import { isImageFile } from './imageHeader.js';

export interface WalkResult {
  /** Image files, relative to the root, forward slashes, sorted naturally (Part2 before Part10). */
  files: string[];
  ignoredNonImages: number;
  warnings: string[];
}

const collator = new Intl.Collator('en', { numeric: true });

function inside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Throws NOT_FOUND / UNREADABLE with a sentence naming the folder and the fix. */
export async function assertReadableFolder(root: string): Promise<void> {
  let st;
  try {
    st = await stat(root);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code;
    if (errno === 'ENOENT' || errno === 'ENOTDIR') {
      throw new StudioError('NOT_FOUND', `The dataset folder ${root} does not exist; check the path (is the drive mounted?).`, { path: root });
    }
    throw new StudioError('UNREADABLE', `The dataset folder ${root} cannot be accessed (${errno}); check its permissions.`, { path: root });
  }
  if (!st.isDirectory()) {
    throw new StudioError('NOT_FOUND', `${root} is a file, not a folder; open the folder that contains the images.`, { path: root });
  }
  try {
    await readdir(root);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code;
    throw new StudioError('UNREADABLE', `The dataset folder ${root} cannot be read (${errno}); grant read permission to it and try again.`, {
      path: root,
    });
  }
}

export async function walkImageFiles(root: string, signal?: AbortSignal): Promise<WalkResult> {
  await assertReadableFolder(root);
  const realRoot = await realpath(root);
  const visited = new Set<string>([realRoot]);
  const files: string[] = [];
  const warnings: string[] = [];
  // Symlinks wait until every real folder is listed, so a real folder is always listed under its own path
  // and a link to it counts as the duplicate, whatever the alphabetical order.
  const links: { rel: string; parentReal: string }[] = [];
  let ignoredNonImages = 0;

  const walkFrom = async (start: { rel: string; real: string }) => {
    let level = [start];
    while (level.length) {
      if (signal?.aborted) throw new StudioError('CANCELLED', `Scan of ${root} was cancelled.`);
      const next: { rel: string; real: string }[] = [];
      await Promise.all(
        level.map(async (dir) => {
          let entries;
          try {
            entries = await readdir(dir.real, { withFileTypes: true });
          } catch (e) {
            warnings.push(`Folder ${dir.rel || '.'} could not be read (${(e as NodeJS.ErrnoException).code}); its images are missing.`);
            return;
          }
          for (const ent of entries) {
            if (ent.name.startsWith('.')) continue; // hidden files, our own temp files, .DS_Store
            const rel = dir.rel ? `${dir.rel}/${ent.name}` : ent.name;
            if (ent.isSymbolicLink()) links.push({ rel, parentReal: dir.real });
            else if (ent.isDirectory()) {
              const real = path.join(dir.real, ent.name);
              visited.add(real);
              next.push({ rel, real });
            } else if (ent.isFile()) {
              if (isImageFile(ent.name)) files.push(rel);
              else ignoredNonImages++;
            }
          }
        }),
      );
      level = next;
    }
  };

  await walkFrom({ rel: '', real: realRoot });
  for (let i = 0; i < links.length; i++) {
    const { rel, parentReal } = links[i];
    let real: string;
    let st;
    try {
      real = await realpath(path.join(parentReal, path.basename(rel)));
      st = await stat(real);
    } catch {
      warnings.push(`Broken symbolic link ${rel} was skipped.`);
      continue;
    }
    if (!inside(realRoot, real)) {
      warnings.push(`Symbolic link ${rel} points outside the dataset folder (${real}) and was skipped.`);
    } else if (st.isDirectory()) {
      if (inside(real, parentReal)) warnings.push(`Symbolic link loop: ${rel} points to its own ancestor folder ${real}; skipped.`);
      else if (visited.has(real)) warnings.push(`Symbolic link ${rel} leads to a folder already scanned (${real}); skipped.`);
      else {
        visited.add(real);
        await walkFrom({ rel, real }); // a folder only reachable through links (e.g. inside a hidden folder)
      }
    } else if (st.isFile()) {
      if (isImageFile(rel)) files.push(rel);
      else ignoredNonImages++;
    }
  }
  files.sort(collator.compare);
  return { files, ignoredNonImages, warnings };
}
