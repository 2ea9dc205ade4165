import { AddressSet, type Cidr, parseV4, tryParseAddress } from '../net/index.js';
import type { ProxyContext as Context } from './context.js';

/** Who sent a request: the socket peer, whether it is a trusted proxy, and the resolved client. */
export interface ClientAddress {
  /** The client IP (canonical text). */
  client: string;
  /** The socket peer (canonical text). */
  peer: string;
  peerTrusted: boolean;
}

/** Resolves the client address of a request from its socket peer and X-Forwarded-For header. */
export type ClientIpResolver = (peer: string | undefined, xForwardedFor: string | undefined) => ClientAddress;

/** At most this many X-Forwarded-For hops are examined, from the right. */
const MAX_HOPS = 32;
/** Header characters examined, from the right; the rest is hostile noise. */
const MAX_HEADER_LENGTH = 2048;

/**
 * Builds the client-IP resolver (DESIGN.md, "The request path"): the socket peer is the client
 * unless it is a trusted proxy; then X-Forwarded-For is read right to left and the right-most
 * address that is not itself a trusted proxy is the client. A malformed hop stops the walk and the
 * last good hop to its right is used, so a spoofed or garbage header can never select an
 * attacker-chosen address. IPv4-mapped IPv6 is normalised to IPv4.
 */
export function createClientIpResolver(trustedProxies: readonly Cidr[]): ClientIpResolver {
  const trusted = new AddressSet<true>();
  for (const cidr of trustedProxies) trusted.set(cidr, true);
  if (trusted.size === 0) {
    return (peerRaw) => {
      const peer = normaliseSocketAddress(peerRaw);
      return { client: peer, peer, peerTrusted: false };
    };
  }

  return (peerRaw, xff) => {
    const peer = normaliseSocketAddress(peerRaw);
    if (trusted.match(peer) === undefined) return { client: peer, peer, peerTrusted: false };
    if (!xff) return { client: peer, peer, peerTrusted: true };
    const header = xff.length > MAX_HEADER_LENGTH ? xff.slice(xff.length - MAX_HEADER_LENGTH) : xff;
    const hops = header.split(',');
    let client = peer;
    const stop = Math.max(0, hops.length - MAX_HOPS);
    for (let i = hops.length - 1; i >= stop; i--) {
      const hop = parseHop(hops[i] ?? '');
      if (hop === null) break;
      client = hop;
      if (trusted.match(hop) === undefined) break;
    }
    return { client, peer, peerTrusted: true };
  };
}

/** Request-path step putting `clientIp`, `peer` and `peerTrusted` on `ctx.state`; `current` yields the resolver in force. */
export function clientIp(current: () => ClientIpResolver) {
  return function resolveClientIp(ctx: Context): true {
    const address = current()(
      ctx.req.socket.remoteAddress,
      ctx.req.headers['x-forwarded-for'] as string | undefined,
    );
    ctx.state.clientIp = address.client;
    ctx.state.peer = address.peer;
    ctx.state.peerTrusted = address.peerTrusted;
    return true;
  };
}

/** Socket addresses arrive as `::ffff:1.2.3.4` on dual-stack listeners; the canonical form is `1.2.3.4`. */
export function normaliseSocketAddress(address: string | undefined): string {
  if (!address) return '0.0.0.0';
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  return address;
}

/** One X-Forwarded-For element: an address, optionally `[v6]:port` or `v4:port` (some proxies add ports). */
function parseHop(raw: string): string | null {
  let text = raw.trim();
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end === -1) return null;
    text = text.slice(1, end);
  } else {
    const colon = text.indexOf(':');
    if (colon !== -1 && colon === text.lastIndexOf(':')) text = text.slice(0, colon); // v4:port
  }
  // Fast path for the common case, a canonical dotted quad (this runs on every proxied request).
  if (parseV4(text) !== -1) return text;
  return tryParseAddress(text)?.text ?? null;
}
