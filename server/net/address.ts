import ipaddr from 'ipaddr.js';
import { parseV4 } from './ipv4-number.js';
import { packedToText, parseV6Packed, V4_MAPPED_PACKED } from './ipv6-packed.js';

/** An IP address in canonical text form plus the facts the request path needs about it. */
export interface Address {
  /** Canonical text: dotted quad for IPv4 (IPv4-mapped IPv6 is unwrapped), RFC 5952 for IPv6. */
  readonly text: string;
  readonly family: 4 | 6;
  /** Network-order bytes: 4 for IPv4, 16 for IPv6. */
  readonly bytes: readonly number[];
}

/** A CIDR range: an address with a prefix length (a single IP is /32 or /128). */
export interface Cidr {
  readonly network: Address;
  readonly prefix: number;
  /** Canonical text, e.g. `203.0.113.0/24`; single addresses print without the prefix. */
  readonly text: string;
}

/** Thrown for text that is not an IP address or CIDR range; the message names the input. */
export class AddressError extends Error {
  override readonly name = 'AddressError';
}

/**
 * Parses an IPv4 or IPv6 address (IPv4-mapped IPv6 becomes IPv4; zone ids and brackets rejected).
 * @throws AddressError naming the input when it is not an address.
 */
export function parseAddress(input: string): Address {
  const address = tryParseAddress(input);
  if (address === null) throw new AddressError(`not an IP address: ${JSON.stringify(truncate(input))}`);
  return address;
}

/**
 * Like {@link parseAddress} but returns null instead of throwing, and without throwing inside:
 * forwarding headers are parsed on the request path, and a client can fill them with 32 hops of
 * junk (an exception each cost 12 µs through ipaddr.js). Dotted quads, plain IPv6 and IPv6 with an
 * embedded dotted quad all take hand-written parsers.
 */
export function tryParseAddress(input: string): Address | null {
  const text = input.trim();
  // 45 characters is the longest address text (RFC 4291 §2.2 with an embedded IPv4); longer is not one.
  if (text.length < 2 || text.length > 45 || !ADDRESS_CHARS.test(text)) return null;
  if (!text.includes(':')) {
    const value = parseV4(text);
    return value === -1 ? null : v4Address(value);
  }
  const packed = parseV6Text(text);
  if (packed === null) return null;
  // Only the IPv4-mapped prefix makes an IPv4 address.
  if (packed.startsWith(V4_MAPPED_PACKED))
    return v4Address(packed.charCodeAt(6) * 65536 + packed.charCodeAt(7));
  return { text: packedToText(packed), family: 6, bytes: packedBytes(packed) };
}

/**
 * IPv6 text → packed form, or null. An embedded dotted quad (`::ffff:1.2.3.4`,
 * `64:ff9b::192.0.2.1`) is two groups; ipaddr.js also unwrapped the deprecated `::1.2.3.4` as
 * IPv4-mapped, which gave one address two identities (`::a00:21` stayed IPv6).
 */
function parseV6Text(text: string): string | null {
  if (!text.includes('.')) return parseV6Packed(text);
  const colon = text.lastIndexOf(':');
  const quad = parseV4(text.slice(colon + 1));
  if (quad === -1) return null;
  return parseV6Packed(
    `${text.slice(0, colon + 1)}${(quad >>> 16).toString(16)}:${(quad & 0xffff).toString(16)}`,
  );
}

/** The characters address text is made of: a cheap first test, before any parse. */
const ADDRESS_CHARS = /^[0-9A-Fa-f:.]+$/;

function v4Address(value: number): Address {
  const bytes = [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255];
  return { text: bytes.join('.'), family: 4, bytes };
}

function packedBytes(packed: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < 8; i++) bytes.push(packed.charCodeAt(i) >> 8, packed.charCodeAt(i) & 255);
  return bytes;
}

/**
 * Parses `1.2.3.4`, `1.2.3.0/24`, `2001:db8::/32`; host bits are cleared (`10.1.2.3/8` → `10.0.0.0/8`).
 * A bare address is a /32 (IPv4) or /128 (IPv6). An IPv4-mapped IPv6 CIDR (`::ffff:10.0.0.0/104`)
 * becomes the equivalent IPv4 CIDR.
 * @throws AddressError naming the input when it is not an address or the prefix is out of range.
 */
export function parseCidr(input: string): Cidr {
  const raw = input.trim();
  const slash = raw.indexOf('/');
  if (slash === -1) {
    const address = parseAddress(raw);
    return makeCidr(address, address.family === 4 ? 32 : 128);
  }
  const addrText = raw.slice(0, slash);
  const prefixText = raw.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) {
    throw new AddressError(`not a CIDR range (bad prefix length): ${JSON.stringify(truncate(input))}`);
  }
  let prefix = Number(prefixText);
  // The same parsers as addresses: `::1.2.3.4/128` is the IPv6 `::102:304/128`, as the address is.
  const v4 = addrText.includes(':') || addrText.length > 15 ? -1 : parseV4(addrText);
  const packed =
    v4 !== -1 || addrText.length > 45 || !ADDRESS_CHARS.test(addrText) ? null : parseV6Text(addrText);
  if (v4 === -1 && packed === null) {
    throw new AddressError(`not a CIDR range (bad address): ${JSON.stringify(truncate(input))}`);
  }
  let family: 4 | 6 = v4 !== -1 ? 4 : 6;
  let bytes = v4 !== -1 ? v4Address(v4).bytes.slice() : packedBytes(packed as string);
  if (family === 6 && (packed as string).startsWith(V4_MAPPED_PACKED) && prefix >= 96) {
    bytes = bytes.slice(12);
    prefix -= 96;
    family = 4;
  }
  const max = family === 4 ? 32 : 128;
  if (prefix > max) {
    throw new AddressError(
      `not a CIDR range (prefix /${prefix} is longer than ${max}): ${JSON.stringify(truncate(input))}`,
    );
  }
  return makeCidr(bytesToAddress(maskBytes(bytes, prefix), family), prefix);
}

/** True when `address` lies inside `cidr` (families must match). */
export function cidrContains(cidr: Cidr, address: Address): boolean {
  if (cidr.network.family !== address.family) return false;
  const masked = maskBytes(address.bytes, cidr.prefix);
  return masked.every((b, i) => b === cidr.network.bytes[i]);
}

/** True when two ranges share at least one address (one contains the other's network). */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.network.family !== b.network.family) return false;
  return a.prefix <= b.prefix ? cidrContains(a, b.network) : cidrContains(b, a.network);
}

/** The enclosing network of `address` with `prefix` bits, e.g. the /24 of an IPv4 address. */
export function enclosingCidr(address: Address, prefix: number): Cidr {
  return makeCidr(bytesToAddress(maskBytes(address.bytes, prefix), address.family), prefix);
}

/**
 * The key a client is counted under in rate limits: an IPv4 address as it is, an IPv6 address as
 * its enclosing `/v6Prefix` network (`2001:db8:1:2::/64`). One IPv6 subscriber or host usually holds
 * a whole /64 (RFC 6177, RFC 7421) and can take a new address for every request, so counting per
 * address would give it an unlimited budget. `v6Prefix` 128 counts each address. Addresses that
 * stand for an IPv4 host count as that IPv4 address: NAT64 `64:ff9b::/96` (RFC 6052; otherwise every
 * translated client would share one /64), 6to4 `2002::/16` (RFC 3056; one host holds 65,536 /64s)
 * and Teredo `2001::/32` (RFC 4380; the clients of one Teredo server share /64s). Text that is not
 * an address (the request path always has one) is returned as it is.
 */
export function rateLimitSubject(ip: string, v6Prefix: number): string {
  if (v6Prefix >= 128 || !ip.includes(':')) return ip;
  const address = tryParseAddress(ip);
  if (address === null || address.family !== 6) return ip;
  const b = address.bytes;
  if (NAT64_PREFIX.every((byte, i) => b[i] === byte)) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  // 6to4 (RFC 3056): a site's 2002:VVVV:VVVV::/48 is its one IPv4 address, whatever /64 it uses.
  if (b[0] === 0x20 && b[1] === 0x02) return `${b[2]}.${b[3]}.${b[4]}.${b[5]}`;
  // Teredo (RFC 4380): the client's own IPv4 address, stored inverted in the last 32 bits.
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0 && b[3] === 0)
    return `${(b[12] as number) ^ 255}.${(b[13] as number) ^ 255}.${(b[14] as number) ^ 255}.${(b[15] as number) ^ 255}`;
  return enclosingCidr(address, v6Prefix).text;
}

/** The first 12 bytes of `64:ff9b::/96`, the NAT64 well-known prefix (RFC 6052 §2.1). */
const NAT64_PREFIX: readonly number[] = [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0];

function makeCidr(network: Address, prefix: number): Cidr {
  const full = network.family === 4 ? 32 : 128;
  return { network, prefix, text: prefix === full ? network.text : `${network.text}/${prefix}` };
}

function bytesToAddress(bytes: readonly number[], family: 4 | 6): Address {
  const parsed = ipaddr.fromByteArray([...bytes]);
  const text = family === 4 ? parsed.toString() : (parsed as ipaddr.IPv6).toRFC5952String();
  return { text, family, bytes };
}

function maskBytes(bytes: readonly number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    return bits === 8 ? b : b & ((0xff << (8 - bits)) & 0xff);
  });
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
