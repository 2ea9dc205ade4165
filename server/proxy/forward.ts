import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.js';
import type { ProxyContext as Context } from './context.js';
import { errorPage } from './error-pages.js';
import { forwardedElement } from './forwarding-headers.js';

/** RFC 9110 §7.6.1 hop-by-hop fields, never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export interface Upstream {
  readonly url: URL;
  readonly agent: http.Agent;
  readonly request: typeof http.request;
}

/**
 * The upstream target with a keep-alive connection pool: without reuse every request pays a TCP
 * handshake and the proxy runs at about a third of the speed (measured here). The pool's sockets
 * carry the upstream inactivity limit (`timeoutMs`) for their whole life, rather than each request
 * setting it and the pool clearing it again: that re-armed two timers per request.
 */
export function createUpstream(url: URL, timeoutMs: number): Upstream {
  const secure = url.protocol === 'https:';
  const options = {
    keepAlive: true,
    keepAliveMsecs: 1000,
    maxSockets: 512,
    maxFreeSockets: 256,
    scheduling: 'lifo' as const,
    timeout: timeoutMs,
  };
  return {
    url,
    agent: secure ? new https.Agent(options) : new http.Agent(options),
    request: secure ? https.request : http.request,
  };
}

export interface ForwardOptions {
  upstream: Upstream;
  logger: Logger;
  /** Called with the upstream response before it is relayed (e.g. to learn sessions). */
  onResponse?: (ctx: Context, response: IncomingMessage) => void;
}

/**
 * The request path's last step: streams the request to the upstream and the answer back, keeping
 * `Host`, setting X-Forwarded-For / X-Forwarded-Proto, and answering 502 (refused, reset) or 504
 * (the pool's inactivity limit, see {@link createUpstream}) with a short page. Bodies are never
 * buffered; a slow reader pauses the upstream (back-pressure). Returns at once; the exchange ends
 * when the response closes.
 */
export function forward(options: ForwardOptions) {
  const { upstream, logger, onResponse } = options;
  const { hostname, port } = upstream.url;
  const basePath = upstream.url.pathname === '/' ? '' : upstream.url.pathname.replace(/\/$/, '');
  const hostHeader = upstream.url.host;

  return function forwardToUpstream(ctx: Context): void {
    const req = ctx.req;
    const res = ctx.res;
    const upstreamReq = upstream.request({
      agent: upstream.agent,
      hostname,
      port,
      method: req.method,
      path: basePath + (req.url ?? '/'),
      headers: forwardedHeaderList(
        req.headers,
        ctx.state.peer ?? '',
        ctx.state.peerTrusted === true,
        hostHeader,
      ),
    });
    let upstreamRes: IncomingMessage | null = null;

    upstreamReq.on('response', (response) => {
      upstreamRes = response;
      onResponse?.(ctx, response);
      relayHead(res, response);
      relayBody(response, res);
    });
    upstreamReq.on('timeout', () => {
      upstreamReq.destroy(Object.assign(new Error('upstream timed out'), { code: 'ETIMEDOUT_UPSTREAM' }));
    });
    upstreamReq.on('error', (err: NodeJS.ErrnoException) => {
      if (res.headersSent) {
        res.destroy();
      } else if (!res.destroyed) {
        const status = err.code === 'ETIMEDOUT_UPSTREAM' ? 504 : 502;
        logger.warn({ 'error.code': err.code, 'error.message': err.message, status }, 'upstream failed');
        sendPage(res, status);
      }
    });
    // The client went away (or the answer is complete): stop whatever is still running upstream.
    res.once('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
      if (upstreamRes !== null && !upstreamRes.complete) upstreamRes.destroy();
    });
    if (hasBody(req)) req.pipe(upstreamReq);
    else upstreamReq.end();
  };
}

/**
 * Streams the upstream body to the client with back-pressure. Hand-written rather than `pipe()`,
 * which sets up and tears down about ten listeners per response; an upstream error cuts the client
 * connection, so a truncated body never looks complete.
 */
function relayBody(from: IncomingMessage, to: http.ServerResponse): void {
  let draining = false;
  from.on('data', (chunk: Buffer) => {
    if (to.write(chunk) || draining) return;
    from.pause();
    draining = true;
    to.once('drain', () => {
      draining = false;
      from.resume();
    });
  });
  from.on('end', () => to.end());
  from.on('error', () => to.destroy());
}

/** RFC 9112 §6.3: a request has a body only with Content-Length > 0 or Transfer-Encoding. */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Headers for the upstream as a flat `[name, value, …]` list (Node sends such a list as is, without
 * the per-field bookkeeping of a headers object): hop-by-hop fields dropped, X-Forwarded-For,
 * X-Forwarded-Proto and Forwarded set (prior values kept from trusted peers only), `Host` kept, or set to
 * `defaultHost` when the client sent none.
 */
export function forwardedHeaderList(
  incoming: IncomingHttpHeaders,
  peer: string,
  peerTrusted: boolean,
  defaultHost: string,
): string[] {
  const out: string[] = [];
  const listed = connectionListed(incoming.connection);
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    if (name === 'x-forwarded-for' || name === 'forwarded' || (name === 'x-forwarded-proto' && !peerTrusted))
      continue;
    const value = incoming[name];
    if (typeof value === 'string') out.push(name, value);
    else if (value !== undefined) for (const item of value) out.push(name, item);
  }
  if (incoming.host === undefined) out.push('host', defaultHost);
  const priorXff = incoming['x-forwarded-for'];
  out.push('x-forwarded-for', peerTrusted && priorXff ? `${priorXff}, ${peer}` : peer);
  if (!(peerTrusted && incoming['x-forwarded-proto'])) out.push('x-forwarded-proto', 'http');
  // RFC 7239 §5.2: the same for `Forwarded`, so an upstream never sees a client-written one.
  const priorForwarded = incoming.forwarded;
  const element = forwardedElement(peer);
  out.push('forwarded', peerTrusted && priorForwarded ? `${priorForwarded}, ${element}` : element);
  return out;
}

/** {@link forwardedHeaderList} as a headers object (for the upgrade handshake, which adds fields). */
export function forwardedHeaders(
  incoming: IncomingHttpHeaders,
  peer: string,
  peerTrusted: boolean,
  defaultHost: string,
): OutgoingHttpHeaders {
  const list = forwardedHeaderList(incoming, peer, peerTrusted, defaultHost);
  const out: OutgoingHttpHeaders = {};
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i] as string;
    const value = list[i + 1] as string;
    const prior = out[name];
    out[name] = prior === undefined ? value : [...(Array.isArray(prior) ? prior : [String(prior)]), value];
  }
  return out;
}

/** Fields named in `Connection` are hop-by-hop too (RFC 9110 §7.6.1); the usual values name none. */
function connectionListed(connection: string | undefined): Set<string> | null {
  if (!connection) return null;
  const value = connection.toLowerCase();
  if (value === 'keep-alive' || value === 'close') return null;
  return new Set(value.split(',').map((token) => token.trim()));
}

function relayHead(res: http.ServerResponse, upstreamRes: IncomingMessage): void {
  const raw = upstreamRes.rawHeaders;
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (!HOP_BY_HOP.has(name.toLowerCase())) headers.push(name, raw[i + 1] as string);
  }
  const status = upstreamRes.statusCode ?? 502;
  if (res.getHeaderNames().length === 0) {
    res.writeHead(status, upstreamRes.statusMessage, headers);
  } else {
    // Headers already set by a middleware (e.g. X-RateLimit-*): append so repeated fields survive.
    for (let i = 0; i < headers.length; i += 2)
      res.appendHeader(headers[i] as string, headers[i + 1] as string);
    res.writeHead(status, upstreamRes.statusMessage);
  }
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

/**
 * Relays a WebSocket (or any HTTP/1.1 Upgrade) handshake to the upstream and then splices the two
 * sockets. `onDone(status)` is called once with the handshake status (101 on success, 502/504 on failure).
 */
export function forwardUpgrade(
  upstream: Upstream,
  timeoutMs: number,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  peer: string,
  peerTrusted: boolean,
  onDone: (status: number) => void,
): void {
  const headers = forwardedHeaders(req.headers, peer, peerTrusted, upstream.url.host);
  headers.connection = 'Upgrade';
  if (req.headers.upgrade) headers.upgrade = req.headers.upgrade;
  const upstreamReq = upstream.request({
    hostname: upstream.url.hostname,
    port: upstream.url.port,
    method: req.method,
    path: req.url,
    headers,
    timeout: timeoutMs,
  });
  upstreamReq.on('upgrade', (upstreamRes, upstreamSocket, upstreamHead) => {
    upstreamSocket.setTimeout(0);
    let reply = `HTTP/1.1 ${upstreamRes.statusCode} ${upstreamRes.statusMessage}\r\n`;
    const raw = upstreamRes.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) reply += `${raw[i]}: ${raw[i + 1]}\r\n`;
    socket.write(`${reply}\r\n`);
    if (upstreamHead.length > 0) socket.write(upstreamHead);
    if (head.length > 0) upstreamSocket.write(head);
    upstreamSocket.pipe(socket).pipe(upstreamSocket);
    upstreamSocket.on('close', () => socket.destroy());
    socket.on('close', () => upstreamSocket.destroy());
    onDone(upstreamRes.statusCode ?? 101);
  });
  upstreamReq.on('response', (upstreamRes) => {
    // The upstream refused the upgrade: relay its plain answer.
    let reply = `HTTP/1.1 ${upstreamRes.statusCode} ${upstreamRes.statusMessage}\r\nconnection: close\r\n`;
    const raw = upstreamRes.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      if (!HOP_BY_HOP.has((raw[i] as string).toLowerCase())) reply += `${raw[i]}: ${raw[i + 1]}\r\n`;
    }
    socket.write(`${reply}\r\n`);
    upstreamRes.pipe(socket);
    onDone(upstreamRes.statusCode ?? 502);
  });
  upstreamReq.on('timeout', () =>
    upstreamReq.destroy(Object.assign(new Error('upstream timed out'), { code: 'ETIMEDOUT_UPSTREAM' })),
  );
  upstreamReq.on('error', (err: NodeJS.ErrnoException) => {
    const status = err.code === 'ETIMEDOUT_UPSTREAM' ? 504 : 502;
    if (socket.writable)
      socket.end(
        `HTTP/1.1 ${status} ${status === 504 ? 'Gateway Timeout' : 'Bad Gateway'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
      );
    onDone(status);
  });
  upstreamReq.end();
}
