/**
 * Crash-safe file writes: readers see either the old file or the complete new one, never a half-written file.
 * The data goes to a temp file in the same directory (rename is only atomic within one file system), is
 * fsynced, then renamed over the target.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { StudioError } from '../../shared/errors.js';

/** The IO_ERROR for a failed write of `file`: says which file and what to do for the common causes. */
export function writeError(file: string, e: unknown): StudioError {
  const errno = (e as NodeJS.ErrnoException | undefined)?.code;
  const why =
    errno === 'ENOSPC' || errno === 'EDQUOT'
      ? 'the disk is full; free some space and try again'
      : errno === 'EROFS'
        ? 'the file system is read-only; choose a writable workspace (DEFECT_STUDIO_WORKSPACE)'
        : errno === 'EACCES' || errno === 'EPERM'
          ? 'permission denied; check the folder permissions or choose another workspace'
          : e instanceof Error
            ? e.message
            : String(e);
  return new StudioError('IO_ERROR', `Could not write ${file}: ${why}.`, { file, errno: errno ?? null });
}

export interface AtomicWriteOptions {
  /**
   * true (default): fsync the file and its folder, so the new content survives a power loss. Caches pass
   * false: a lost cache file is regenerated, and an fsync per thumbnail costs more than generating it.
   */
  durable?: boolean;
}

export async function atomicWrite(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const durable = opts.durable ?? true;
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw writeError(file, e);
  }
  // Persist the rename itself; directories cannot be opened for fsync on Windows, and a failure here only
  // weakens durability, not atomicity, so it is not an error.
  if (durable && process.platform !== 'win32') {
    try {
      const dh = await open(dir, 'r');
      await dh.sync().finally(() => dh.close());
    } catch {
      /* best effort */
    }
  }
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await atomicWrite(file, JSON.stringify(value, null, 2) + '\n');
}

/** Reads and validates a JSON file; `fallback` when it does not exist, UNREADABLE when it is not valid. */
export async function readJsonFile<T>(file: string, schema: z.ZodType<T>, fallback: T): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw new StudioError('UNREADABLE', `Could not read ${file}: ${(e as Error).message}.`, { file });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new StudioError('UNREADABLE', `${file} is not valid JSON (${(e as Error).message}); fix or delete it.`, {
      file,
    });
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    throw new StudioError('UNREADABLE', `${file} does not have the expected shape (${result.error.message}); fix or delete it.`, {
      file,
    });
  }
  return result.data;
}
