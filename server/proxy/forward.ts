import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { type Dispatcher, Pool } from 'undici';
import type { Logger } from '../log.js';
import type { ProxyContext as Context } from './context.js';
import { errorPage } from './error-pages.js';
import { forwardThroughNodeClient, type UpstreamRequest } from './forward-node-client.js';
import { type ForwardedHeaderName, forwardedHeaderList, HOP_BY_HOP } from './forwarding-headers.js';

export interface Upstream {
  readonly url: URL;
  /** The keep-alive pool ordinary exchanges go through (undici). */
  readonly pool: Pool;
  /**
   * Node's client and its keep-alive pool, for what undici does not carry: WebSocket and other
   * Upgrade handshakes, `OPTIONS *`, and a retry after an upstream's unasked `100 Continue`.
   */
  readonly request: typeof http.request;
  readonly agent: http.Agent;
  /** Sockets both pools hold: `active` (in an exchange) and `idle` (kept alive for reuse). */
  sockets(): { active: number; idle: number };
  /** Cuts every upstream connection (the proxy is closing). */
  destroy(): Promise<void>;
}

/**
 * The upstream target with a keep-alive connection pool. Exchanges go through undici's `Pool`
 * rather than `http.request` with an `Agent`: on this machine a bare proxy forwarding with undici
 * spends 31–35 µs of CPU per request against 50–52 µs with `http.request` (README "Performance").
 * Without reuse every request would pay a TCP handshake and run at about a third of the speed.
 * `timeoutMs` bounds the wait for the answer's head and every silence within its body (504).
 */
export function createUpstream(url: URL, timeoutMs: number): Upstream {
  const pool = new Pool(url.origin, {
    connections: 512,
    pipelining: 1,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connectTimeout: timeoutMs,
  });
  const secure = url.protocol === 'https:';
  const agentOptions = { keepAlive: true, maxSockets: 64, scheduling: 'lifo' as const, timeout: timeoutMs };
  const agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  return {
    url,
    pool,
    request: secure ? https.request : http.request,
    agent,
    sockets: () => {
      const { connected, free } = pool.stats;
      const idle = countSockets(agent.freeSockets);
      return { active: connected - free + countSockets(agent.sockets), idle: free + idle };
    },
    destroy: () => {
      agent.destroy();
      return pool.destroy();
    },
  };
}

function countSockets(sockets: NodeJS.ReadOnlyDict<unknown[]>): number {
  let count = 0;
  for (const name in sockets) count += sockets[name]?.length ?? 0;
  return count;
}

export interface ForwardOptions {
  upstream: Upstream;
  logger: Logger;
  /** Called with the upstream answer's status and Set-Cookie lines before it is relayed (e.g. to learn sessions). */
  onResponse?: (ctx: Context, status: number, setCookies: readonly string[]) => void;
  /** The header a trusted proxy names the client in (default `x-forwarded-for`; see `forwardedHeaderList`). */
  forwardedHeader?: ForwardedHeaderName;
}

/** Shared by every answer without a Set-Cookie, so relaying one allocates no list. */
const NO_COOKIES: readonly string[] = [];

/** Statuses whose answers never have a body (RFC 9110 §15.3.5, §15.4.5). */
const NO_BODY = new Set([204, 304]);

/**
 * A reason phrase Node will write (RFC 9112 §4: HTAB, SP, VCHAR, obs-text). undici decodes the
 * phrase as UTF-8, so a Latin-1 byte arrives as U+FFFD, which Node refuses; the client then gets
 * the standard phrase for the status instead of no answer at all.
 */
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** RFC 9110 §9.2.2: methods a client may repeat without changing what the first attempt did. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Upstream failures that mean "too slow" (504) rather than "unreachable or broken" (502). */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** The path an upstream URL puts before every request's (`http://host/app/` → `/app`), or ''. */
export function upstreamBasePath(url: URL): string {
  return url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
}

/**
 * The request path's last step: streams the request to the upstream and the answer back, keeping
 * `Host`, setting X-Forwarded-For / X-Forwarded-Proto, and answering 502 (refused, reset) or 504
 * (no head or a silent body within the upstream timeout, see {@link createUpstream}) with a short
 * page. Bodies are never buffered; a slow reader pauses the upstream (back-pressure), and a client
 * that goes away aborts the upstream exchange. Returns at once; the exchange ends when the
 * response closes.
 */
export function forward(options: ForwardOptions) {
  const { upstream, logger, onResponse } = options;
  const header = options.forwardedHeader ?? 'x-forwarded-for';
  const basePath = upstreamBasePath(upstream.url);
  const hostHeader = upstream.url.host;

  return function forwardToUpstream(ctx: Context): void {
    const req = ctx.req;
    const body = hasBody(req);
    const request: UpstreamRequest = {
      method: req.method ?? 'GET',
      path: basePath + (req.url ?? '/'),
      headers: forwardedHeaderList(
        req.headers,
        ctx.state.peer ?? '',
        ctx.state.peerTrusted === true,
        hostHeader,
        header,
      ),
      body: body ? req : null,
    };
    // undici takes only paths that start with `/` (or absolute URLs): `OPTIONS *` goes through Node.
    if (req.url === '*') {
      forwardThroughNodeClient(ctx, upstream, request, logger, onResponse);
      return;
    }
    // An unasked `100 Continue` breaks undici's exchange; one without a body and safe to repeat
    // (RFC 9110 §9.2.2) is retried through Node's client, which skips such interim answers.
    const retry = !body && IDEMPOTENT.has(request.method) ? upstream : null;
    upstream.pool.dispatch(request, new Exchange(ctx, logger, onResponse, request, retry));
  };
}

/**
 * One exchange relayed to the client (an undici dispatch handler). The answer's head goes out
 * with the upstream's own field names and order, hop-by-hop fields dropped; its body is written
 * chunk by chunk, pausing the upstream while the client's buffer is full.
 */
class Exchange implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | null = null;
  /** The final answer's head was handed to the client's response. */
  #started = false;
  #status = 0;

  constructor(
    private readonly ctx: Context,
    private readonly logger: Logger,
    private readonly onResponse: ForwardOptions['onResponse'],
    private readonly request: UpstreamRequest,
    /** Where to retry after an unasked `100 Continue`; null when the request must not be repeated. */
    private readonly retryThrough: Upstream | null,
  ) {
    // The client went away before the answer was complete: stop whatever is still running upstream.
    // `on`, not `once`: a response closes once, and `once` costs a wrapper and its state per request.
    ctx.res.on('close', () => {
      if (!ctx.res.writableFinished) this.#controller?.abort(new Error('client closed the connection'));
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.ctx.res.destroyed) controller.abort(new Error('client closed the connection'));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    status: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    // 1xx interim answers (103 Early Hints) are not relayed, as Node's own client does not.
    if (status < 200) return;
    this.#status = status;
    // undici gives a header seen once as a string, and an array only when it repeats.
    const cookies = headers['set-cookie'];
    this.onResponse?.(
      this.ctx,
      status,
      cookies === undefined ? NO_COOKIES : Array.isArray(cookies) ? cookies : [cookies],
    );
    // A head Node refuses to write (a field value it calls invalid) throws here: undici then aborts
    // the exchange, and onResponseError answers 502 because nothing was sent.
    relayHead(this.ctx.res, status, statusMessage, controller.rawHeaders as Buffer[]);
    this.#started = true;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const res = this.ctx.res;
    if (res.write(chunk)) return;
    controller.pause();
    res.once('drain', () => controller.resume());
  }

  onResponseEnd(): void {
    this.ctx.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error & { code?: string }): void {
    const res = this.ctx.res;
    // RFC 9110 §8.6: a 304 (or 204) may carry the Content-Length its full answer would have, and
    // has no body; undici calls that a length mismatch after the answer is complete.
    if (this.#started && err.code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' && NO_BODY.has(this.#status)) {
      res.end();
      return;
    }
    // A truncated body must never look complete: cut the client connection.
    if (this.#started || res.headersSent) res.destroy();
    else if (res.destroyed) return;
    else if (this.retryThrough !== null && err.code === 'UND_ERR_SOCKET' && err.message === 'bad response') {
      forwardThroughNodeClient(this.ctx, this.retryThrough, this.request, this.logger, this.onResponse);
    } else {
      const status = TIMEOUT_CODES.has(err.code ?? '') ? 504 : 502;
      this.logger.warn({ 'error.code': err.code, 'error.message': err.message, status }, 'upstream failed');
      sendPage(res, status);
    }
  }
}

/** RFC 9112 §6.3: a request has a body only with Content-Length > 0 or Transfer-Encoding. */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Writes the upstream answer's head to the client: its own field names and order (undici gives them
 * as bytes, Node's client as Latin-1 strings), hop-by-hop fields dropped.
 */
export function relayHead(
  res: http.ServerResponse,
  status: number,
  reason: string | undefined,
  raw: readonly (Buffer | string)[],
): void {
  const message = reason !== undefined && REASON_PHRASE.test(reason) ? reason : undefined;
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = latin1(raw[i] as Buffer | string);
    if (!HOP_BY_HOP.has(name.toLowerCase())) headers.push(name, latin1(raw[i + 1] as Buffer | string));
  }
  if (res.getHeaderNames().length === 0) {
    res.writeHead(status, message, headers);
  } else {
    // Headers already set by a middleware (e.g. X-RateLimit-*): append so repeated fields survive.
    for (let i = 0; i < headers.length; i += 2)
      res.appendHeader(headers[i] as string, headers[i + 1] as string);
    res.writeHead(status, message);
  }
}

function latin1(value: Buffer | string): string {
  return typeof value === 'string' ? value : value.toString('latin1');
}

/** Writes one of the proxy's own short pages (403, 429, 502, 504) and ends the response. */
export function sendPage(res: http.ServerResponse, status: number): void {
  const body = errorPage(status);
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}
