import { AddressSet, type Cidr } from '../net/index.js';
import type { ProxyContext as Context } from './context.js';
import { sendPage } from './forward.js';
import { type ForwardedHeaderName, headerHops } from './forwarding-headers.js';

/** Who sent a request: the socket peer, whether it is a trusted proxy, and the resolved client. */
export interface ClientAddress {
  /** The client IP (canonical text). */
  client: string;
  /** The socket peer (canonical text). */
  peer: string;
  peerTrusted: boolean;
}

/** Resolves the client address of a request from its socket peer and forwarding header (the one configured). */
export type ClientIpResolver = (
  peer: string | undefined,
  forwardingHeader: string | undefined,
) => ClientAddress;

/**
 * Builds the client-IP resolver (DESIGN.md, "The request path"): the socket peer is the client
 * unless it is a trusted proxy; then the forwarding header `header` (X-Forwarded-For, or RFC 7239
 * `Forwarded: for=`) is read right to left and the right-most address that is not itself a trusted
 * proxy is the client. A hop that names no address (malformed, `unknown`, obfuscated) stops the
 * walk and the last good hop to its right is used, so a spoofed or garbage header can never select
 * an attacker-chosen address. Only one header is ever read: a proxy that writes X-Forwarded-For
 * usually passes a client's own `Forwarded` through untouched, and the reverse. IPv4-mapped IPv6
 * is normalised to IPv4. Work is bounded: the last 2,048 characters and 32 hops
 * at most (`forwarding-headers.ts`).
 */
export function createClientIpResolver(
  trustedProxies: readonly Cidr[],
  header: ForwardedHeaderName = 'x-forwarded-for',
): ClientIpResolver {
  const trusted = new AddressSet<true>();
  for (const cidr of trustedProxies) trusted.set(cidr, true);
  if (trusted.size === 0) {
    return (peerRaw) => {
      const peer = normaliseSocketAddress(peerRaw);
      return { client: peer, peer, peerTrusted: false };
    };
  }

  return (peerRaw, value) => {
    const peer = normaliseSocketAddress(peerRaw);
    if (trusted.match(peer) === undefined) return { client: peer, peer, peerTrusted: false };
    if (!value) return { client: peer, peer, peerTrusted: true };
    const hops = headerHops(header, value);
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i];
      if (hop === null || hop === undefined) break;
      client = hop;
      if (trusted.match(hop) === undefined) break;
    }
    return { client, peer, peerTrusted: true };
  };
}

/**
 * Request-path step putting `clientIp`, `peer` and `peerTrusted` on `ctx.state`; `current` yields
 * the resolver in force and the header it reads.
 */
export function clientIp(current: () => { resolve: ClientIpResolver; header: ForwardedHeaderName }) {
  return function resolveClientIp(ctx: Context): boolean {
    const { resolve, header } = current();
    // Node keeps the first MAX_HEADERS_COUNT header lines and drops the rest without a word: a client
    // that pads its request can push a trusted proxy's own forwarding line out of view. Refused.
    const full = ctx.req.rawHeaders.length >= MAX_HEADERS_COUNT * 2;
    const forwarding = full ? undefined : (ctx.req.headers[header] as string | undefined);
    const address = resolve(ctx.req.socket.remoteAddress, forwarding);
    ctx.state.clientIp = full ? address.peer : address.client;
    ctx.state.peer = address.peer;
    ctx.state.peerTrusted = address.peerTrusted;
    if (!full) return true;
    sendPage(ctx.res, 431);
    return false;
  };
}

/** Request header lines kept per request (Node's default is 2,000; browsers send about 20); as many is refused (431). */
export const MAX_HEADERS_COUNT = 200;

/** Socket addresses arrive as `::ffff:1.2.3.4` on dual-stack listeners; the canonical form is `1.2.3.4`. */
export function normaliseSocketAddress(address: string | undefined): string {
  if (!address) return '0.0.0.0';
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  return address;
}
