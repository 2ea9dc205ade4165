import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Context, Next } from 'koa';
import serve from 'koa-static';
import { isApiPath } from './auth.js';

/**
 * Content-Security-Policy of every admin-server response: no inline script or style, nothing from
 * other origins, no framing. Client-controlled strings in the UI are only ever set as text.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/**
 * Serves the built operator UI (`dist/renderer`, made by `npm run build`). When it has not been
 * built, `/` answers a short page saying how to build it instead of a bare 404.
 */
export function staticUi(dir: string) {
  const files = serve(dir, { index: 'index.html', maxage: 0, gzip: false, brotli: false });
  return async function serveUi(ctx: Context, next: Next): Promise<void> {
    if (isApiPath(ctx.path)) return next();
    if (!existsSync(path.join(dir, 'index.html'))) {
      if (ctx.path === '/') {
        ctx.type = 'text/plain';
        ctx.body = `The operator UI has not been built (${dir} is missing). Run: npm run build\n`;
        return;
      }
      return next();
    }
    return files(ctx, next);
  };
}
