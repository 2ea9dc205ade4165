import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.js';
import type { ProxyContext as Context } from './context.js';
import { type ForwardOptions, relayHead, sendPage, type Upstream } from './forward.js';
import { type ForwardedHeaderName, forwardedHeaders, HOP_BY_HOP } from './forwarding-headers.js';

/** One exchange's request line, headers and body for the upstream, as {@link forward} builds them. */
export interface UpstreamRequest {
  method: string;
  path: string;
  headers: string[];
  /** The client's request when it has a body (RFC 9112 §6.3), else null. */
  body: IncomingMessage | null;
}

/**
 * Forwards one exchange through Node's `http.request` and the upstream's keep-alive `Agent`: the
 * path for what undici does not carry (see {@link Upstream}). Same contract as the undici path:
 * bodies streamed both ways with back-pressure, the upstream aborted when the client leaves, 502
 * when the upstream refuses or resets, 504 after the upstream timeout (the agent's socket timeout).
 */
export function forwardThroughNodeClient(
  ctx: Context,
  upstream: Upstream,
  request: UpstreamRequest,
  logger: Logger,
  onResponse: ForwardOptions['onResponse'],
): void {
  const { res } = ctx;
  const upstreamReq = upstream.request({
    agent: upstream.agent,
    hostname: upstream.url.hostname,
    port: upstream.url.port,
    method: request.method,
    path: request.path,
    headers: request.headers,
  });
  let upstreamRes: IncomingMessage | null = null;
  upstreamReq.on('response', (response) => {
    upstreamRes = response;
    const status = response.statusCode ?? 502;
    onResponse?.(ctx, status, response.headers['set-cookie'] ?? []);
    relayHead(res, status, response.statusMessage, response.rawHeaders);
    // A rare path, so `pipe` (back-pressure included); an upstream error must cut the client.
    response.on('error', () => res.destroy());
    response.pipe(res);
  });
  upstreamReq.on('timeout', () => {
    upstreamReq.destroy(Object.assign(new Error('upstream timed out'), { code: 'ETIMEDOUT_UPSTREAM' }));
  });
  upstreamReq.on('error', (err: NodeJS.ErrnoException) => {
    if (res.headersSent) res.destroy();
    else if (!res.destroyed) {
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
  if (request.body !== null) request.body.pipe(upstreamReq);
  else upstreamReq.end();
}

/**
 * Relays a WebSocket (or any HTTP/1.1 Upgrade) handshake to the upstream at `path` and then splices
 * the two sockets. `onDone(status)` is called once with the handshake status (101 on success,
 * 502/504 on failure). A client that leaves before the upstream answers aborts the upstream request.
 */
export function forwardUpgrade(
  upstream: Upstream,
  timeoutMs: number,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: {
    path: string;
    peer: string;
    peerTrusted: boolean;
    header: ForwardedHeaderName;
    onDone: (status: number) => void;
  },
): void {
  const { peer, peerTrusted, onDone } = options;
  const headers = forwardedHeaders(req.headers, peer, peerTrusted, upstream.url.host, options.header);
  headers.connection = 'Upgrade';
  if (req.headers.upgrade) headers.upgrade = req.headers.upgrade;
  const upstreamReq = upstream.request({
    hostname: upstream.url.hostname,
    port: upstream.url.port,
    method: req.method,
    path: options.path,
    headers,
    timeout: timeoutMs,
  });
  let answered = false;
  // The client left (a server socket is half-open: its end alone does not close it).
  const left = () => {
    if (answered) return;
    upstreamReq.destroy();
    socket.destroy();
  };
  socket.once('end', left);
  socket.once('close', left);
  upstreamReq.on('upgrade', (upstreamRes, upstreamSocket, upstreamHead) => {
    answered = true;
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
    answered = true;
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
