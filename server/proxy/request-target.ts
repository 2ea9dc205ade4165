import type { ProxyContext as Context } from './context.js';
import { sendPage } from './forward.js';

/** A dot segment (`/.` or `/..` as a whole segment), once escapes are read (see {@link escapesDot}). */
const DOT_SEGMENT = /\/\.{1,2}(?:[/;]|$)/; // `;`: a servlet container reads `/..;x/` as `/../`

/**
 * `url` with what an upstream may read as a dot or a separator made one: `%2e` as `.`, and `%2f`,
 * `%5c` and `\` as `/` (many servers decode an encoded slash, or take a backslash as one), so that
 * `/..%2fsecret` counts as the dot segment it is to them.
 */
function escapesDot(url: string): boolean {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q); // a query's `%2F..%2F` is no path (a login's `next=`)
  const read = path.replace(/%2e/gi, '.').replace(/%2f|%5c|\\/gi, '/');
  return DOT_SEGMENT.test(read);
}

/**
 * The request-path step that makes every request target origin-form (`/path?query`) before the
 * rules see it, so the path that is rate-limited, recorded and detected on is the path the
 * upstream serves (RFC 9112 §3.2):
 * - absolute-form (`POST http://any.host/login`), which a server must accept and Node passes on
 *   as it came, is reduced to its path and query: matched as `http://any.host/login`, it escaped
 *   the login rate limit and failed-login detection while the upstream served `/login`;
 * - a `#` and what follows is cut off, as nginx does: a fragment is no part of a request target,
 *   and upstreams that cut it serve `/login` for `/login#x`;
 * - with an upstream base path (`--upstream http://host/app`), a dot segment (`/../`, `/%2e%2e/`,
 *   `/..%2f`, `/..\`) gets `400`: the upstream would resolve `/app/../internal` outside the base path.
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
    if (confined && escapesDot(url)) return refuse(ctx);
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
