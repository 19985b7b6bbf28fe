/**
 * Browser mode: the same router as Electron, over HTTP (calls, assets, the built renderer) and one WebSocket
 * (events), bound to 127.0.0.1 only. Every request needs the per-launch token:
 *  - API calls: `x-studio-token` header (or `?token=`); the page's client sends the header;
 *  - the WebSocket: `?token=` (browsers cannot set headers on a WebSocket);
 *  - pages, scripts and assets: `?token=` or the HttpOnly SameSite=Strict cookie set when the page was opened
 *    with a valid `?token=`, because <script src> and <img src> cannot carry a header.
 * The cookie is not accepted for API calls or the WebSocket, so another site cannot ride on it, and requests
 * whose Host is not 127.0.0.1/localhost:PORT are refused (DNS rebinding).
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseAssetQuery, type ApiResult } from '../../shared/api.js';
import { StudioError, toStudioError } from '../../shared/errors.js';
import { describeIssues } from '../router/router.js';
import type { StudioApp } from '../router/app.js';
import { contentSecurityPolicy } from './csp.js';
import { staticContentType } from './mimeTypes.js';
import { statusFor } from './status.js';
import { generateToken, readCookie, tokenCookieName, tokenMatches } from './token.js';

export const HOST = '127.0.0.1';
const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Longest close() waits for requests still being handled. */
const CLOSE_GRACE_MS = 15_000;
const TOKEN_HEADER = 'x-studio-token';

export interface ServerOptions {
  app: StudioApp;
  /** 0 = any free port. */
  port: number;
  /** Built renderer (index.html + assets); null serves only the API and assets. */
  rendererDir: string | null;
  token?: string;
}

export interface RunningServer {
  /** Full URL to open, token included: http://127.0.0.1:PORT/?token=… */
  url: string;
  origin: string;
  port: number;
  token: string;
  close(): Promise<void>;
}



export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const token = opts.token ?? generateToken();
  const { app } = opts;
  let port = 0;
  let csp = '';

  const hostAllowed = (req: IncomingMessage) => req.headers.host === `${HOST}:${port}` || req.headers.host === `localhost:${port}`;
  const originAllowed = (req: IncomingMessage) => {
    const origin = req.headers.origin;
    return origin === undefined || origin === `http://${HOST}:${port}` || origin === `http://localhost:${port}`;
  };

  const securityHeaders = (res: ServerResponse) => {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  };

  const sendJson = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(text);
  };

  const sendError = (res: ServerResponse, e: StudioError) => {
    const body: ApiResult<never> = { ok: false, error: e.toJSON() };
    sendJson(res, statusFor(e.code), body);
  };

  const unauthorized = () =>
    new StudioError(
      'UNAUTHORIZED',
      'Missing or wrong access token. Open the exact URL that `npm start` or `defect-studio serve` printed (it ends in ?token=…).',
    );

  async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, contentType: string, cache: string) {
    const st = await stat(file);
    if (!st.isFile()) throw new StudioError('NOT_FOUND', `${file} is not a file.`);
    const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ETag: etag, 'Cache-Control': cache });
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': st.size, ETag: etag, 'Cache-Control': cache });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await new Promise<void>((resolve) => {
      const stream = createReadStream(file);
      stream.on('error', () => {
        res.destroy();
        resolve();
      });
      stream.on('end', resolve);
      stream.pipe(res);
    });
  }

  async function readBody(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new StudioError('TOO_LARGE', `Request body is over ${MAX_BODY_BYTES} bytes.`);
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') return {};
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new StudioError('BAD_REQUEST', `The request body is not valid JSON (${(e as Error).message}).`);
    }
  }

  async function serveRenderer(req: IncomingMessage, res: ServerResponse, pathname: string, setCookie: boolean) {
    if (!opts.rendererDir) {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('The renderer is not built. Run `npm start` (it builds it) or `npx vite build`.\n');
      return;
    }
    const root = path.resolve(opts.rendererDir);
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      throw new StudioError('BAD_REQUEST', `Malformed URL path ${pathname}.`);
    }
    const file = path.resolve(root, '.' + path.posix.normalize('/' + rel));
    if (file !== root && !file.startsWith(root + path.sep)) throw new StudioError('FORBIDDEN_PATH', `Path ${pathname} is outside the app.`);
    const ext = path.extname(file).toLowerCase();
    const isFile = ext !== '' && (await stat(file).then((s) => s.isFile()).catch(() => false));
    if (isFile && ext !== '.html') {
      // Vite puts content hashes in asset names, so they may be cached; index.html may not.
      await sendFile(req, res, file, staticContentType(file), 'private, max-age=31536000, immutable');
      return;
    }
    if (ext !== '' && ext !== '.html') throw new StudioError('NOT_FOUND', `No such file ${pathname}.`);
    // Any other path is a client-side route: answer with index.html, token injected for the client.
    const html = await readFile(path.join(root, 'index.html'), 'utf8').catch(() => {
      throw new StudioError('NOT_FOUND', `The renderer build in ${root} has no index.html; rebuild it with \`npx vite build\`.`);
    });
    const withToken = html.replace(/<head(\s[^>]*)?>/i, (m) => `${m}\n    <meta name="studio-token" content="${token}">`);
    const headers: Record<string, string> = { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' };
    if (setCookie) headers['Set-Cookie'] = `${tokenCookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : withToken);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    securityHeaders(res);
    if (!hostAllowed(req)) throw new StudioError('FORBIDDEN_PATH', `Host "${req.headers.host}" is not this server; use http://${HOST}:${port}/.`);
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    const queryToken = url.searchParams.get('token');
    const headerToken = req.headers[TOKEN_HEADER];
    const explicit = tokenMatches(token, typeof headerToken === 'string' ? headerToken : queryToken);
    const viaCookie = tokenMatches(token, readCookie(req.headers.cookie, tokenCookieName(port)));

    if (url.pathname.startsWith('/api/')) {
      if (!explicit) throw unauthorized();
      if (!originAllowed(req)) throw new StudioError('FORBIDDEN_PATH', `Cross-origin API call from ${req.headers.origin} refused.`);
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        throw new StudioError('BAD_REQUEST', `API calls use POST with a JSON body, not ${req.method}.`);
      }
      let name: string;
      try {
        name = decodeURIComponent(url.pathname.slice('/api/'.length));
      } catch {
        throw new StudioError('BAD_REQUEST', `Malformed API call name in ${url.pathname}.`);
      }
      const result = await app.router.dispatch(name, await readBody(req));
      sendJson(res, result.ok ? 200 : statusFor(result.error.code), result);
      return;
    }
    if (!explicit && !viaCookie) throw unauthorized();
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new StudioError('BAD_REQUEST', `${req.method} is not allowed here.`);
    if (url.pathname === '/asset') {
      const parsed = (() => {
        try {
          return parseAssetQuery(url.searchParams);
        } catch (e) {
          const issues = (e as { issues?: Parameters<typeof describeIssues>[0] }).issues;
          throw new StudioError('BAD_REQUEST', `Invalid asset URL: ${issues ? describeIssues(issues) : String(e)}.`);
        }
      })();
      const asset = await app.assets.resolve(parsed);
      await sendFile(req, res, asset.filePath, asset.contentType, 'private, no-cache');
      return;
    }
    await serveRenderer(req, res, url.pathname, explicit && queryToken !== null);
  }

  // Requests still working (e.g. a thumbnail being written) are awaited on close, so that the caller can
  // delete the workspace right after close() without racing our writes.
  const inflight = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const work = handle(req, res).catch((e) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const err = toStudioError(e);
      if (statusFor(err.code) === 401 && (req.headers.accept ?? '').includes('text/html')) {
        res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(err.message + '\n');
        return;
      }
      sendError(res, err);
    });
    inflight.add(work);
    void work.finally(() => inflight.delete(work));
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== '/events') return reject(404, 'Not Found');
    if (!hostAllowed(req) || !originAllowed(req)) return reject(403, 'Forbidden');
    const headerToken = req.headers[TOKEN_HEADER];
    if (!tokenMatches(token, typeof headerToken === 'string' ? headerToken : url.searchParams.get('token'))) return reject(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
      // The socket only carries events to the page; anything the page sends is ignored.
    });
  });
  const unsubscribe = app.events.subscribe((event, payload) => {
    const msg = JSON.stringify({ event, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(msg);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') {
        reject(new StudioError('INVALID_STATE', `Port ${opts.port} on ${HOST} is already in use; choose another with --port (0 picks a free one).`));
      } else if (e.code === 'EACCES') {
        reject(new StudioError('INVALID_STATE', `Not allowed to listen on port ${opts.port}; use a port above 1024 or 0 for a free one.`));
      } else reject(e);
    });
    server.listen(opts.port, HOST, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  csp = contentSecurityPolicy({ kind: 'browser', port });
  const origin = `http://${HOST}:${port}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inflight]),
        new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS))),
      ]);
      clearTimeout(timer);
    },
  };
}
