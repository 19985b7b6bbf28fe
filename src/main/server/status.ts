/** HTTP status for each StudioError code; used by the browser-mode server and Electron's custom schemes. */
import type { StudioErrorCode } from '../../shared/errors.js';

const STATUS: Record<StudioErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN_PATH: 403,
  NOT_FOUND: 404,
  INVALID_STATE: 409,
  CANCELLED: 409,
  TOO_LARGE: 413,
  UNSUPPORTED: 415,
  UNREADABLE: 422,
  IO_ERROR: 500,
  INTERNAL: 500,
};

export function statusFor(code: string): number {
  return STATUS[code as StudioErrorCode] ?? 500;
}
