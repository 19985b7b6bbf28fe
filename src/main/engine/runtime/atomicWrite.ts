/** Atomic file replacement: write a temp file in the same folder, fsync it, rename over the target, fsync the folder. */
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../../../shared/errors.js';

export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    const dh = await open(dir, 'r').catch(() => undefined); // directories cannot be opened on Windows
    if (dh) {
      await dh.sync().catch(() => undefined);
      await dh.close();
    }
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new StudioError('IO_ERROR', `Could not write ${file}: ${(e as Error).message}`);
  }
}
