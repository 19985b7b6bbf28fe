/**
 * One error type crosses every boundary (IPC, HTTP, CLI). `code` is what callers branch on; `message` is a
 * sentence for a person that names the object (file, node, input) and what to do about it.
 */
export type StudioErrorCode =
  | 'BAD_REQUEST' // input failed schema validation
  | 'UNAUTHORIZED' // missing or wrong browser-mode token
  | 'NOT_FOUND' // file, folder, dataset, model, job that does not exist
  | 'FORBIDDEN_PATH' // path outside the chosen dataset/workspace roots
  | 'UNREADABLE' // exists but cannot be read or decoded (corrupt image, bad ONNX)
  | 'UNSUPPORTED' // valid input the product does not handle (op without VJP rule, layout, mode)
  | 'INVALID_STATE' // e.g. empty training set, memory bank empty
  | 'TOO_LARGE' // image or tensor over a safety limit
  | 'IO_ERROR' // write failed (disk full, read-only)
  | 'CANCELLED'
  | 'INTERNAL';

export class StudioError extends Error {
  constructor(
    readonly code: StudioErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'StudioError';
  }

  toJSON(): { code: StudioErrorCode; message: string; details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export function isStudioError(e: unknown): e is StudioError {
  return e instanceof StudioError;
}

/** Turns anything thrown into a StudioError without losing its message. */
export function toStudioError(e: unknown): StudioError {
  if (e instanceof StudioError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const errno = (e as NodeJS.ErrnoException | undefined)?.code;
  if (errno === 'ENOENT') return new StudioError('NOT_FOUND', message);
  if (errno === 'EACCES' || errno === 'EPERM') return new StudioError('UNREADABLE', message);
  if (errno === 'ENOSPC' || errno === 'EROFS' || errno === 'EDQUOT') return new StudioError('IO_ERROR', message);
  return new StudioError('INTERNAL', message);
}
