/**
 * Custom schemes. studio-app:// serves the built renderer (so the page has a real origin and a CSP header,
 * which file:// cannot give), studio-asset:// serves dataset images, masks and thumbnails through the same
 * resolver as browser mode's /asset, so the containment rule is shared.
 */
import { protocol } from 'electron';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseAssetQuery } from '../../shared/api.js';
import { StudioError, toStudioError } from '../../shared/errors.js';
import type { StudioApp } from '../router/app.js';
import { staticContentType } from '../server/mimeTypes.js';
import { statusFor } from '../server/status.js';

export const APP_SCHEME = 'studio-app';
export const ASSET_SCHEME = 'studio-asset';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

/** Must run before app 'ready'. */
export function registerSchemes(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
    { scheme: ASSET_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, corsEnabled: true } },
  ]);
}

/**
 * Streams a file from disk. Deliberately not net.fetch(file://): that would pass through the session's
 * webRequest filter, which blocks everything that is not the app's own schemes.
 */
async function fileResponse(file: string, headers: Record<string, string>): Promise<Response> {
  const st = await stat(file);
  if (!st.isFile()) throw new StudioError('NOT_FOUND', `${file} is not a file.`);
  const body = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
  return new Response(body, { status: 200, headers: { 'content-length': String(st.size), ...headers } });
}

function errorResponse(e: unknown): Response {
  const err = toStudioError(e);
  return new Response(JSON.stringify({ ok: false, error: err.toJSON() }), {
    status: statusFor(err.code),
    headers: { 'content-type': 'application/json' },
  });
}

export function handleAppScheme(rendererDir: string, csp: string): void {
  const root = path.resolve(rendererDir);
  protocol.handle(APP_SCHEME, async (req) => {
    try {
      const url = new URL(req.url);
      if (url.host !== 'app') throw new StudioError('NOT_FOUND', `Unknown app host ${url.host}.`);
      const rel = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
      const file = path.resolve(root, '.' + path.posix.normalize(rel));
      if (!file.startsWith(root + path.sep)) throw new StudioError('FORBIDDEN_PATH', `${url.pathname} is outside the app.`);
      return await fileResponse(file, {
        'content-type': staticContentType(file),
        'content-security-policy': csp,
        'x-content-type-options': 'nosniff',
      });
    } catch (e) {
      return errorResponse(e);
    }
  });
}

export function handleAssetScheme(app: StudioApp): void {
  protocol.handle(ASSET_SCHEME, async (req) => {
    try {
      const url = new URL(req.url);
      let ref;
      try {
        ref = parseAssetQuery(url.searchParams);
      } catch (e) {
        throw new StudioError('BAD_REQUEST', `Invalid asset URL ${req.url}: ${(e as Error).message}`);
      }
      const asset = await app.assets.resolve(ref);
      return await fileResponse(asset.filePath, {
        'content-type': asset.contentType,
        'x-content-type-options': 'nosniff',
        // The page (studio-app://app) reads mask pixels back from canvases; without CORS they would be tainted.
        'access-control-allow-origin': APP_ORIGIN,
      });
    } catch (e) {
      return errorResponse(e);
    }
  });
}
