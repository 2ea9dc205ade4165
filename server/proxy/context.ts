import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { RequestAction } from '../store/index.js';

/** What the request path learns about an exchange as it goes. */
export interface ProxyState {
  [key: string]: unknown;
  clientIp?: string;
  peer?: string;
  peerTrusted?: boolean;
  allowlisted?: boolean;
  /** Protection is paused: nothing is blocked or rate-limited. */
  paused?: boolean;
  action?: RequestAction;
  /** The blocklist entry that answered 403 (`blocklist:<target>`). */
  ruleName?: string;
  /** The rate-limit rule that covered the request (`ratelimit:<name>`). */
  rateLimitRule?: string;
  rateLimitKey?: string;
  /** The budget of the vouched-for session the request carried (see session-registry.ts), or null. */
  sessionBudget?: string | null;
}

/**
 * The context each proxy middleware sees: the subset of Koa's context the request path uses.
 * A plain object per request (see {@link createProxyContext}); Koa's own, fuller context is built
 * only where koa-ratelimit needs it.
 */
export interface ProxyContext {
  req: IncomingMessage;
  res: ServerResponse;
  state: ProxyState;
  readonly method: string;
  /** The request path without the query string. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

/**
 * One step of the request path: true passes the request on to the next step, false means the step
 * answered it (403, 429, …). Steps are synchronous so an ordinary request allocates no promise;
 * only the rate limit, for a request a rule covers, returns a promise (see request-path.ts).
 */
export type ProxyStep = (ctx: ProxyContext) => boolean;

/**
 * A lean per-request context: three fields and lazy getters on a shared prototype (a class, not an
 * object literal with getters, which V8 builds far more slowly for every request).
 */
class LeanContext implements ProxyContext {
  readonly state: ProxyState = {};
  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
  ) {}

  get method(): string {
    return this.req.method ?? 'GET';
  }

  get path(): string {
    const url = this.req.url ?? '/';
    const q = url.indexOf('?');
    return q === -1 ? url : url.slice(0, q);
  }

  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }
}

/** The context of one request on the proxy port (see {@link ProxyContext}). */
export function createProxyContext(req: IncomingMessage, res: ServerResponse): ProxyContext {
  return new LeanContext(req, res);
}
