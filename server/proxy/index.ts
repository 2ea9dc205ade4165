import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { RateLimitRuleConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { Cidr } from '../net/index.js';
import type { AccessLists, AccessRecord, CountersClient } from '../store/index.js';
import { accessGuard } from './access-guard.js';
import { accessLog } from './access-log.js';
import { clientIp, createClientIpResolver, MAX_HEADERS_COUNT } from './client-ip.js';
import { createUpstream, forward, upstreamBasePath } from './forward.js';
import type { ForwardedHeaderName } from './forwarding-headers.js';
import { rateLimit } from './rate-limit.js';
import { RecordBatch } from './record-batch.js';
import { createRequestPath } from './request-path.js';
import { requestTarget } from './request-target.js';
import { createSessionRegistry, type SessionVouch } from './session-registry.js';
import { upgradeHandler } from './upgrade.js';

export { type ClientAddress, createClientIpResolver, normaliseSocketAddress } from './client-ip.js';
export { errorPage } from './error-pages.js';
export type { ForwardedHeaderName } from './forwarding-headers.js';
export { hashSecret } from './session-registry.js';

/**
 * Limits on slow clients (slowloris, slow bodies), in ms. Node checks the headers and request
 * deadlines on a timer, so they fire up to {@link checkIntervalMs} late.
 */
export interface ClientTimeouts {
  /** All request headers must arrive within this (408 otherwise). Default 10 s. */
  headersMs: number;
  /** The whole request, body included, must arrive within this (408 otherwise). Default 120 s. */
  requestMs: number;
  /** A keep-alive connection idle between requests is closed after this. Default 5 s. */
  idleMs: number;
}

export const DEFAULT_CLIENT_TIMEOUTS: ClientTimeouts = {
  headersMs: 10_000,
  requestMs: 120_000,
  idleMs: 5_000,
};

/** How often Node sweeps connections for the headers/request deadlines: a quarter of the headers limit, 1 s at most. */
export function checkIntervalMs(timeouts: ClientTimeouts): number {
  return Math.max(50, Math.min(1_000, Math.floor(timeouts.headersMs / 4)));
}

export interface ProxyOptions {
  upstream: URL;
  upstreamTimeoutMs: number;
  /** Slow-client limits; {@link DEFAULT_CLIENT_TIMEOUTS} when absent. */
  clientTimeouts?: ClientTimeouts;
  trustProxy: readonly Cidr[];
  /** The header naming the client behind a trusted proxy (default `x-forwarded-for`). */
  forwardedHeader?: ForwardedHeaderName;
  rateLimits: readonly RateLimitRuleConfig[];
  sessionCookie: string;
  sessionTtlMs: number;
  /** Which upstream answers vouch for a session they set (default `success`). */
  sessionFrom?: SessionVouch;
  accessLists: AccessLists;
  counters: CountersClient;
  logger: Logger;
  /**
   * Receives the access records of each event-loop turn together, in the order their responses
   * closed (request log append, live detection); see {@link RecordBatch}. Must not throw.
   */
  onRecords: (records: readonly AccessRecord[]) => void;
  /** While true, blocks are not enforced (the desktop app's "pause protection"). */
  isPaused?: () => boolean;
  /** While the counters store fails, rate-limited paths pass (`open`, default) or get 503 (`closed`). */
  rateLimitFailure?: 'open' | 'closed';
  /** IPv6 clients share a rate-limit budget per network of this many bits (default 64). */
  rateLimitIpv6Prefix?: number;
}

export interface ProxyServer {
  readonly server: http.Server;
  /** Emits `record` for every exchange, after `onRecords` has had its batch. */
  readonly events: EventEmitter<{ record: [AccessRecord] }>;
  /** Sockets the upstream pool holds: `active` (in an exchange) and `idle` (kept alive for reuse). */
  upstreamSockets(): { active: number; idle: number };
  /** Applies new rate-limit rules without a restart. */
  setRateLimits(rules: readonly RateLimitRuleConfig[]): void;
  /** Applies a new trusted-proxy list without a restart. */
  setTrustProxy(cidrs: readonly Cidr[]): void;
  /** Ends the open WebSocket connections of blocked clients (protection resumed after a pause). */
  endBlockedUpgrades(): void;
  /**
   * Stops accepting, lets in-flight exchanges finish (up to `graceMs`), then closes the rest and
   * hands over the last access records.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Builds the proxy server (DESIGN.md "The request path"): access record → client IP (trusted
 * proxies only) → allowlist/blocklist guard (403) → origin-form target (400) → rate limit (429) →
 * streaming forward to the upstream, plus WebSocket upgrades through the same steps
 * ({@link upgradeHandler}).
 */
export function createProxyServer(options: ProxyOptions): ProxyServer {
  const { logger } = options;
  const events = new EventEmitter<{ record: [AccessRecord] }>();
  const records = new RecordBatch((batch) => {
    options.onRecords(batch);
    for (const record of batch) events.emit('record', record);
  }, logger);
  const sink = (record: AccessRecord) => records.push(record);
  const header = options.forwardedHeader ?? 'x-forwarded-for';
  let clientIps = { resolve: createClientIpResolver(options.trustProxy, header), header };
  const upstream = createUpstream(options.upstream, options.upstreamTimeoutMs);
  const sessions = createSessionRegistry({
    counters: options.counters,
    cookieName: options.sessionCookie,
    defaultTtlMs: options.sessionTtlMs,
    vouchedBy: options.sessionFrom,
  });

  const limiter = rateLimit({
    rules: options.rateLimits,
    counters: options.counters,
    sessions,
    logger,
    failure: options.rateLimitFailure,
    ipv6Prefix: options.rateLimitIpv6Prefix,
  });
  const resolveClientIp = clientIp(() => clientIps);
  const guardAccess = accessGuard(options.accessLists, options.isPaused);
  const basePath = upstreamBasePath(options.upstream);
  const checkTarget = requestTarget({ basePath });
  const handleRequest = createRequestPath(
    {
      logAccess: accessLog(sink),
      resolveClientIp,
      guardAccess,
      requestTarget: checkTarget,
      rateLimit: limiter,
      forward: forward({
        upstream,
        logger,
        forwardedHeader: header,
        onResponse: (ctx, status, setCookies) => {
          if (ctx.state.rateLimitRule === undefined) return;
          // The budget a new session joins: the one of the session the request carried, else its
          // client's, so cookies minted for one address (a fresh one per failed login) share one.
          const budget = ctx.state.sessionBudget ?? limiter.clientBudget(ctx.state.clientIp);
          sessions.learn(status, setCookies, budget).catch((err: Error) => {
            logger.error({ 'error.message': err.message }, 'could not record the upstream session');
          });
        },
      }),
    },
    logger,
  );

  const timeouts = checkClientTimeouts(options.clientTimeouts ?? DEFAULT_CLIENT_TIMEOUTS);
  const server = http.createServer(
    {
      keepAliveTimeout: timeouts.idleMs,
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      connectionsCheckingInterval: checkIntervalMs(timeouts),
    },
    handleRequest,
  );
  server.maxHeadersCount = MAX_HEADERS_COUNT;
  // A socket silent in both directions (a client that stopped reading its answer) is cut, but only
  // after the upstream timeout could have answered 504 on it.
  server.timeout = options.upstreamTimeoutMs + timeouts.headersMs;
  const upgraded = new Set<import('node:stream').Duplex>();
  /** Upgraded (WebSocket) connections and their clients' addresses. */
  const open = new Map<import('node:stream').Duplex, string>();
  const handleUpgrade = upgradeHandler({
    resolveClientIp,
    guardAccess,
    requestTarget: checkTarget,
    rateLimit: limiter,
    upstream,
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    basePath,
    sink,
    forwardedHeader: header,
    onOpen: (socket, ip) => {
      if (!socket.destroyed) open.set(socket, ip);
    },
  });
  server.on('upgrade', (req, socket, head) => {
    upgraded.add(socket);
    socket.once('close', () => {
      upgraded.delete(socket);
      open.delete(socket);
    });
    handleUpgrade(req, socket, head);
  });
  // A block ends the open WebSocket connections of the clients it covers, not only new ones.
  const endBlocked = () => {
    if (options.isPaused?.()) return;
    for (const [socket, ip] of open) if (options.accessLists.decide(ip).kind === 'blocked') socket.destroy();
  };
  options.accessLists.on('change', endBlocked);

  return {
    server,
    events,
    upstreamSockets: () => upstream.sockets(),
    setRateLimits: (rules) => limiter.setRules(rules),
    endBlockedUpgrades: endBlocked,
    setTrustProxy: (cidrs) => {
      clientIps = { resolve: createClientIpResolver(cidrs, header), header };
    },
    close: async (graceMs = 10_000) => {
      // Upgraded (WebSocket) connections are long-lived and detached from HTTP: end them now.
      options.accessLists.off('change', endBlocked);
      for (const socket of upgraded) socket.destroy();
      await closeGracefully(server, graceMs, () => {
        upstream.destroy().catch(() => {});
      });
      // The last responses' `close` events (queued as ticks) make their records; hand them over
      // before the caller closes the request log.
      await new Promise((resolve) => setImmediate(resolve));
      records.drain();
    },
  };
}

/** @throws Error naming the option when a limit is not a positive number of ms, or headers > request. */
function checkClientTimeouts(timeouts: ClientTimeouts): ClientTimeouts {
  for (const [name, value] of Object.entries(timeouts)) {
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`proxy clientTimeouts.${name}: expected a positive number of ms, got ${value}`);
  }
  if (timeouts.headersMs > timeouts.requestMs)
    throw new Error('proxy clientTimeouts.headersMs: expected at most clientTimeouts.requestMs');
  return timeouts;
}

/**
 * Graceful close: stop accepting, close idle keep-alive sockets, wait for in-flight responses up to
 * `graceMs`, then destroy what is left.
 */
export async function closeGracefully(
  server: http.Server,
  graceMs: number,
  after?: () => void,
): Promise<void> {
  if (!server.listening) {
    after?.();
    return;
  }
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearInterval(idleSweep);
    clearTimeout(timer);
    after?.();
  }
}
