import type { ProxyContext as Context } from './context.js';
import { sendPage } from './forward.js';

/** A dot segment (`/.` or `/..` as a whole segment), raw or percent-encoded (`%2e`). */
const DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?:\/|\?|$)/i;

/**
 * The request-path step that makes every request target origin-form (`/path?query`) before the
 * rules see it, so the path that is rate-limited, recorded and detected on is the path the
 * upstream serves (RFC 9112 §3.2):
 * - absolute-form (`POST http://any.host/login`), which a server must accept and Node passes on
 *   as it came, is reduced to its path and query: matched as `http://any.host/login`, it escaped
 *   the login rate limit and failed-login detection while the upstream served `/login`;
 * - a `#` and what follows is cut off, as nginx does: a fragment is no part of a request target,
 *   and upstreams that cut it serve `/login` for `/login#x`;
 * - with an upstream base path (`--upstream http://host/app`), a dot segment (`/../`, `/%2e%2e/`)
 *   gets `400`: the upstream would resolve `/app/../internal` outside the base path.
 * `*` (`OPTIONS *`) passes unchanged. Costs one character scan for an ordinary request.
 */
export function requestTarget(options: { basePath: string }) {
  const confined = options.basePath !== '';
  return function originForm(ctx: Context): boolean {
    const req = ctx.req;
    let url = req.url ?? '/';
    if (url.charCodeAt(0) !== 47 /* '/' */ && url !== '*') {
      const path = absolutePath(url);
      if (path === null) return refuse(ctx);
      req.url = url = path;
    }
    const hash = url.indexOf('#');
    if (hash !== -1) req.url = url = url.slice(0, hash);
    if (confined && DOT_SEGMENT.test(url)) return refuse(ctx);
    return true;
  };
}

/** The path and query of an absolute-form `http(s)://…` target, or null for anything else. */
function absolutePath(target: string): string | null {
  if (!/^https?:\/\//i.test(target)) return null;
  try {
    const parsed = new URL(target);
    return `${parsed.pathname}${parsed.search}`;
  } catch {
    return null;
  }
}

function refuse(ctx: Context): false {
  sendPage(ctx.res, 400);
  return false;
}
