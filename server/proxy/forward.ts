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
 * handshake and the proxy runs at about a third of the speed (measured here).
 */
export function createUpstream(url: URL): Upstream {
  const secure = url.protocol === 'https:';
  const options = {
    keepAlive: true,
    keepAliveMsecs: 1000,
    maxSockets: 512,
    maxFreeSockets: 256,
    scheduling: 'lifo' as const,
  };
  return {
    url,
    agent: secure ? new https.Agent(options) : new http.Agent(options),
    request: secure ? https.request : http.request,
  };
}

export interface ForwardOptions {
  upstream: Upstream;
  /** Upstream inactivity limit (ms) before answering 504 (or cutting a stalled body). */
  timeoutMs: number;
  logger: Logger;
  /** Called with the upstream response before it is relayed (e.g. to learn sessions). */
  onResponse?: (ctx: Context, response: IncomingMessage) => void;
}

/**
 * Koa middleware that streams the request to the upstream and the answer back, keeping `Host`,
 * setting X-Forwarded-For / X-Forwarded-Proto, and answering 502 (refused, reset) or 504 (timeout)
 * with a short page. Bodies are never buffered.
 */
export function forward(options: ForwardOptions) {
  const { upstream, timeoutMs, logger } = options;
  const { hostname, port } = upstream.url;
  const basePath = upstream.url.pathname === '/' ? '' : upstream.url.pathname.replace(/\/$/, '');

  return function forwardToUpstream(ctx: Context): Promise<void> {
    const req = ctx.req;
    const res = ctx.res;
    const headers = forwardedHeaders(req.headers, ctx.state.peer ?? '', ctx.state.peerTrusted === true);

    return new Promise<void>((resolve) => {
      const upstreamReq = upstream.request({
        agent: upstream.agent,
        hostname,
        port,
        method: req.method,
        path: basePath + (req.url ?? '/'),
        headers,
        timeout: timeoutMs,
      });
      let settled = false;
      const done = () => {
        if (!settled) {
          settled = true;
          resolve();
        }
      };

      upstreamReq.on('response', (upstreamRes) => {
        options.onResponse?.(ctx, upstreamRes);
        relayHead(res, upstreamRes);
        upstreamRes.pipe(res);
        upstreamRes.on('error', () => res.destroy());
        upstreamRes.on('end', done);
        res.on('close', () => {
          if (!upstreamRes.complete) upstreamRes.destroy();
          done();
        });
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
        done();
      });
      req.on('aborted', () => upstreamReq.destroy());
      res.on('close', () => {
        if (!res.writableFinished) upstreamReq.destroy();
        done();
      });
      if (hasBody(req)) req.pipe(upstreamReq);
      else upstreamReq.end();
    });
  };
}

/** RFC 9112 §6.3: a request has a body only with Content-Length > 0 or Transfer-Encoding. */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Headers for the upstream: hop-by-hop fields dropped, X-Forwarded-* and Forwarded set (kept from trusted peers only). */
export function forwardedHeaders(
  incoming: IncomingHttpHeaders,
  peer: string,
  peerTrusted: boolean,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const listed = connectionListed(incoming.connection);
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    out[name] = incoming[name];
  }
  const priorXff = incoming['x-forwarded-for'];
  out['x-forwarded-for'] = peerTrusted && priorXff ? `${priorXff}, ${peer}` : peer;
  if (!(peerTrusted && incoming['x-forwarded-proto'])) out['x-forwarded-proto'] = 'http';
  // RFC 7239 §5.2: the same for `Forwarded`, so an upstream never sees a client-written one.
  const priorForwarded = incoming.forwarded;
  const element = forwardedElement(peer);
  out.forwarded = peerTrusted && priorForwarded ? `${priorForwarded}, ${element}` : element;
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
  const headers = forwardedHeaders(req.headers, peer, peerTrusted);
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
