import ipaddr from 'ipaddr.js';

/** A client address worth asking a database about: normalised text and family. */
export interface LookupAddress {
  /** Canonical text (dotted quad, or RFC 5952 IPv6); also the cache key. */
  key: string;
  family: 4 | 6;
}

/**
 * Parses a client address for geolocation, or `null` when there is nothing to look up.
 * IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes IPv4, because maxmind finds no record for the mapped form.
 * Only ipaddr.js range `unicast` passes: private, loopback, link-local, unique-local, CGNAT, reserved,
 * documentation, multicast and unspecified addresses get no location rather than a wrong one.
 * An IPv6 zone id is dropped. IPv4 must be four-part decimal; `127.1` or `0x7f.0.0.1` are treated as invalid. Never throws.
 */
export function lookupAddress(ip: string): LookupAddress | null {
  const address = parse(ip);
  if (address === null || address.range() !== 'unicast') return null;
  return { key: address.toString(), family: address.kind() === 'ipv4' ? 4 : 6 };
}

function parse(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (ip.includes(':')) {
    if (!ipaddr.IPv6.isValid(ip)) return null;
    const v6 = ipaddr.IPv6.parse(ip);
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
    // A zone (`%eth0`) names a local interface, not a different network: one cache entry per address.
    return v6.zoneId === undefined ? v6 : new ipaddr.IPv6(v6.parts);
  }
  return ipaddr.IPv4.isValidFourPartDecimal(ip) ? ipaddr.IPv4.parse(ip) : null;
}
