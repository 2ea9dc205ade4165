import http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AccessRecord } from '../store/index.js';
import { accessRecord } from './access-log.js';
import { createProxyContext, type ProxyContext, type ProxyStep } from './context.js';
import { sendPage, type Upstream } from './forward.js';
import { forwardUpgrade } from './forward-node-client.js';
import type { ForwardedHeaderName } from './forwarding-headers.js';

/** What an upgrade goes through: the request path's steps before the forward, and the forward's setting. */
export interface UpgradeSteps {
  resolveClientIp: ProxyStep;
  guardAccess: ProxyStep;
  requestTarget: ProxyStep;
  rateLimit: (ctx: ProxyContext) => boolean | Promise<boolean>;
  upstream: Upstream;
  upstreamTimeoutMs: number;
  /** Prefixed to the request path, as for every request (`--upstream http://host/app`). */
  basePath: string;
  /** Receives the one access record of the handshake. */
  sink: (record: AccessRecord) => void;
  /** Told of each connection the upstream upgraded (101), with its client's address. */
  onOpen: (socket: Duplex, clientIp: string) => void;
  /** The header a trusted proxy names the client in (see `forwardedHeaderList`). */
  forwardedHeader: ForwardedHeaderName;
}

/**
 * Handles an HTTP/1.1 Upgrade (WebSocket) handshake through the same steps as a request: client IP
 * (trusted proxies only), allowlist/blocklist (403), origin-form target (400), rate limit (429),
 * then splices the client and upstream sockets ({@link forwardUpgrade}). A step's answer is written
 * through an `http.ServerResponse` on the socket and ends the connection. Only a bodiless `GET`
 * may upgrade (RFC 6455 §4.1); anything else gets 400, since the body of an upgrade request is
 * never forwarded and the upstream would hold the connection open waiting for it. One access
 * record per handshake, with the upstream's status (101 on success).
 */
export function upgradeHandler(steps: UpgradeSteps) {
  return function handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    try {
      // Pipelined behind a request still being answered on this connection: the socket is that
      // answer's until it is sent (assigning it now throws and would take the process down).
      const answering = (socket as Socket & { _httpMessage?: http.ServerResponse | null })._httpMessage;
      if (answering) {
        answering.once('finish', () => setImmediate(() => handleUpgrade(req, socket, head)));
        answering.once('close', () => {
          if (!answering.writableFinished) socket.destroy();
        });
        return;
      }
      handshake(req, socket as Socket, head);
    } catch {
      socket.destroy(); // an upgrade must never take the proxy down
    }
  };

  function handshake(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    const started = performance.now();
    const startedAt = Date.now();
    const res = new http.ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    const ctx = createProxyContext(req, res);
    let logged = false;
    const log = (status: number) => {
      if (logged) return;
      logged = true;
      if (status === 101) steps.onOpen(socket, ctx.state.clientIp as string);
      res.statusCode = status;
      steps.sink(accessRecord(ctx, startedAt, Math.round((performance.now() - started) * 1e6)));
    };
    // A step answered (400, 403, 429, 503): the connection ends with that answer.
    res.once('finish', () => {
      log(res.statusCode);
      res.detachSocket(socket);
      socket.end();
    });
    const go = () => {
      res.detachSocket(socket);
      forwardUpgrade(steps.upstream, steps.upstreamTimeoutMs, req, socket, head, {
        path: steps.basePath + (req.url ?? '/'),
        peer: (ctx.state.peer as string | undefined) ?? '',
        peerTrusted: ctx.state.peerTrusted === true,
        header: steps.forwardedHeader,
        onDone: log,
      });
    };
    if (!(steps.resolveClientIp(ctx) && steps.guardAccess(ctx) && plainHandshake(ctx))) return;
    if (!steps.requestTarget(ctx)) return;
    const allowed = steps.rateLimit(ctx);
    if (allowed === true) go();
    else if (allowed !== false)
      allowed
        .then((pass) => {
          if (pass && !socket.destroyed) go();
        })
        .catch(() => fail(res, socket));
  }
}

/** A `GET` without a body; anything else is answered 400. */
function plainHandshake(ctx: ProxyContext): boolean {
  const { req } = ctx;
  const length = req.headers['content-length'];
  const body = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (req.method === 'GET' && !body) return true;
  sendPage(ctx.res, 400);
  return false;
}

function fail(res: http.ServerResponse, socket: Duplex): void {
  if (!res.headersSent && !socket.destroyed && res.socket) sendPage(res, 502);
  else socket.destroy();
}
