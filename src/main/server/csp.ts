/**
 * Content-Security-Policy for the renderer, in both modes. Scripts, styles, fonts and connections come only
 * from the app's own origin; images may also be data:/blob: (canvas exports) and, in Electron, studio-asset:.
 * Nothing remote is allowed anywhere, and the page can be neither framed nor navigated by a form.
 */
export function contentSecurityPolicy(mode: { kind: 'electron' } | { kind: 'browser'; port: number }): string {
  const assets = mode.kind === 'electron' ? ' studio-asset:' : '';
  // Chromium matches ws: to 'self' only in newer versions; name the exact socket origins to be sure.
  const sockets = mode.kind === 'browser' ? ` ws://127.0.0.1:${mode.port} ws://localhost:${mode.port}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data: blob:${assets}`,
    `connect-src 'self'${assets}${sockets}`,
    "font-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
