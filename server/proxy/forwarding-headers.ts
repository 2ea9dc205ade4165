import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { parseV4, tryParseAddress } from '../net/index.js';

/** Which request header names the client behind a trusted proxy. */
export type ForwardedHeaderName = 'x-forwarded-for' | 'forwarded';

/** At most this many hops are examined, from the right. */
export const MAX_HOPS = 32;
/** Header characters examined, from the right; the rest is hostile noise. */
export const MAX_HEADER_LENGTH = 2048;

/**
 * One hop of a forwarding header, right-most last: a canonical IP address, or null for a hop that
 * names no usable address (malformed, `unknown`, an obfuscated `_id`, a missing `for=`). A walk
 * stops at a null hop.
 */
export type Hop = string | null;

/**
 * The right-most {@link MAX_HOPS} hops of a header, in header order. Only the last
 * {@link MAX_HEADER_LENGTH} characters are read, and a hop cut by that limit is dropped, so the work
 * is bounded whatever the header holds. Repeated header lines arrive joined by `, ` (Node), which
 * is the same list.
 */
export function headerHops(name: ForwardedHeaderName, header: string): Hop[] {
  let text = header;
  let cut = false;
  if (text.length > MAX_HEADER_LENGTH) {
    text = text.slice(text.length - MAX_HEADER_LENGTH);
    cut = true;
  }
  const elements = text.split(',');
  if (cut) elements.shift();
  const start = Math.max(0, elements.length - MAX_HOPS);
  const parse = name === 'forwarded' ? forwardedElementFor : xForwardedForHop;
  const hops: Hop[] = [];
  for (let i = start; i < elements.length; i++) hops.push(parse(elements[i] as string));
  return hops;
}

/** One X-Forwarded-For element: an address, optionally `[v6]:port` or `v4:port` (some proxies add ports). */
export function xForwardedForHop(raw: string): Hop {
  let text = raw.trim();
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end === -1 || !isPortSuffix(text.slice(end + 1), false)) return null;
    text = text.slice(1, end);
  } else {
    const colon = text.indexOf(':');
    if (colon !== -1 && colon === text.lastIndexOf(':')) {
      if (!isPortSuffix(text.slice(colon), false)) return null;
      text = text.slice(0, colon); // v4:port
    }
  }
  // Fast path for the common case, a canonical dotted quad (this runs on every proxied request).
  if (parseV4(text) !== -1) return text;
  return tryParseAddress(text)?.text ?? null;
}

/**
 * The `for=` node of one RFC 7239 forwarded-element (`for=192.0.2.60;proto=http;by=…`). Parameter
 * names are case-insensitive (§4); a value is a token or a quoted-string. Elements are split on
 * commas before this, so a quoted value holding a comma makes its element malformed (null), which
 * only ever stops a walk early. A repeated `for` is malformed (§4: each parameter at most once).
 */
export function forwardedElementFor(element: string): Hop {
  let node: string | undefined;
  for (const pair of element.split(';')) {
    const text = pair.trim();
    if (text === '' && element.trim() !== '') continue;
    const eq = text.indexOf('=');
    if (eq <= 0) return null;
    if (text.slice(0, eq).trim().toLowerCase() !== 'for') continue;
    if (node !== undefined) return null;
    const value = unquote(text.slice(eq + 1).trim());
    if (value === null) return null;
    node = value;
  }
  return node === undefined ? null : forwardedNode(node);
}

/**
 * An RFC 7239 §6 node: `192.0.2.43`, `192.0.2.43:8080`, `[2001:db8::17]`, `[2001:db8::17]:4711`,
 * with an optional obfuscated port (`:_abc`). `unknown` and obfuscated identifiers (`_hidden`)
 * name no address: null.
 */
export function forwardedNode(node: string): Hop {
  if (node.startsWith('[')) {
    const end = node.indexOf(']');
    if (end === -1 || !isPortSuffix(node.slice(end + 1), true)) return null;
    const inner = node.slice(1, end);
    return inner.includes(':') ? (tryParseAddress(inner)?.text ?? null) : null;
  }
  const colon = node.indexOf(':');
  if (colon !== -1 && !isPortSuffix(node.slice(colon), true)) return null;
  const host = colon === -1 ? node : node.slice(0, colon);
  // RFC 7239 §6: IPv6 must be bracketed; a bare v6 here is malformed, so only IPv4 is accepted.
  return parseV4(host) !== -1 ? host : null;
}

/** `''`, `:8080` or (RFC 7239 `obfport`, when `obfuscated`) `:_a1`. */
function isPortSuffix(suffix: string, obfuscated: boolean): boolean {
  if (suffix === '') return true;
  if (/^:\d{1,5}$/.test(suffix)) return Number(suffix.slice(1)) <= 65535;
  return obfuscated && /^:_[A-Za-z0-9._-]{1,64}$/.test(suffix);
}

/** A token, or a quoted-string with its quoted-pairs resolved (RFC 9110 §5.6.4); null when malformed. */
function unquote(value: string): string | null {
  if (!value.startsWith('"')) return /^[!#$%&'*+\-.^_`|~0-9A-Za-z:[\]]+$/.test(value) ? value : null;
  if (value.length < 2 || !value.endsWith('"')) return null;
  let out = '';
  for (let i = 1; i < value.length - 1; i++) {
    let c = value[i] as string;
    if (c === '"') return null;
    if (c === '\\') {
      i++;
      if (i >= value.length - 1) return null;
      c = value[i] as string;
    }
    out += c;
  }
  return out;
}

/** The `Forwarded` element a proxy appends for a peer: `for=192.0.2.1` or `for="[2001:db8::1]"` (RFC 7239 §6). */
export function forwardedElement(peer: string): string {
  return peer.includes(':') ? `for="[${peer}]"` : `for=${peer}`;
}

/** The forwarding headers spelled with underscores, which CGI-style servers cannot tell from them. */
const UNDERSCORED = new Set([
  'x_forwarded_for',
  'x_forwarded_proto',
  'x-forwarded_for',
  'x_forwarded-for',
  'x-forwarded_proto',
  'x_forwarded-proto',
]);

/** RFC 9110 §7.6.1 hop-by-hop fields, never forwarded. */
export const HOP_BY_HOP = new Set([
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

/**
 * Headers for the upstream as a flat `[name, value, …]` list (Node sends such a list as is, without
 * the per-field bookkeeping of a headers object): hop-by-hop fields dropped, X-Forwarded-For,
 * X-Forwarded-Proto and Forwarded set, `Host` kept, or set to `defaultHost` when the client sent
 * none. The chain a trusted peer sent in `header` (the one ipwarden reads) is kept, with the peer
 * appended, and written in the other header too; whatever arrived in the other header is dropped,
 * since a proxy that writes one passes a client-written other one through untouched. From an
 * untrusted peer, both name the peer alone.
 */
export function forwardedHeaderList(
  incoming: IncomingHttpHeaders,
  peer: string,
  peerTrusted: boolean,
  defaultHost: string,
  header: ForwardedHeaderName = 'x-forwarded-for',
): string[] {
  const out: string[] = [];
  const listed = connectionListed(incoming.connection);
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    if (name === 'x-forwarded-for' || name === 'forwarded' || (name === 'x-forwarded-proto' && !peerTrusted))
      continue;
    // `X_Forwarded_For`: CGI-style servers (Python's wsgiref, PHP's CGI) read it as X-Forwarded-For.
    if (name.includes('_') && UNDERSCORED.has(name)) continue;
    // The proxy's own server already answered `Expect: 100-continue`; the body follows at once.
    if (name === 'expect') continue;
    const value = incoming[name];
    if (typeof value === 'string') out.push(name, value);
    else if (value !== undefined) for (const item of value) out.push(name, item);
  }
  if (incoming.host === undefined) out.push('host', defaultHost);
  // Node joins repeated lines of either header with `, `: one string.
  const prior = peerTrusted ? (incoming[header] as string | undefined) : undefined;
  const element = forwardedElement(peer);
  if (!prior) {
    out.push('x-forwarded-for', peer, 'forwarded', element);
  } else if (header === 'x-forwarded-for') {
    out.push('x-forwarded-for', `${prior}, ${peer}`, 'forwarded', `${forwardedFromXff(prior)}, ${element}`);
  } else {
    // RFC 7239 §5.2: a proxy appends its own element to the list it received.
    out.push('x-forwarded-for', `${xffFromForwarded(prior)}, ${peer}`, 'forwarded', `${prior}, ${element}`);
  }
  if (!(peerTrusted && incoming['x-forwarded-proto'])) out.push('x-forwarded-proto', 'http');
  return out;
}

/** An X-Forwarded-For chain as `Forwarded` elements (its last {@link MAX_HOPS} hops; `for=unknown` for a hop that is no address). */
export function forwardedFromXff(value: string): string {
  return headerHops('x-forwarded-for', value)
    .map((hop) => (hop === null ? 'for=unknown' : forwardedElement(hop)))
    .join(', ');
}

/** A `Forwarded` chain's `for=` nodes as X-Forwarded-For (its last {@link MAX_HOPS} hops; `unknown` for a node that is no address). */
export function xffFromForwarded(value: string): string {
  return headerHops('forwarded', value)
    .map((hop) => hop ?? 'unknown')
    .join(', ');
}

/** {@link forwardedHeaderList} as a headers object (for the upgrade handshake, which adds fields). */
export function forwardedHeaders(
  incoming: IncomingHttpHeaders,
  peer: string,
  peerTrusted: boolean,
  defaultHost: string,
  header: ForwardedHeaderName = 'x-forwarded-for',
): OutgoingHttpHeaders {
  const list = forwardedHeaderList(incoming, peer, peerTrusted, defaultHost, header);
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
