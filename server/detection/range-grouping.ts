import { type Cidr, enclosingCidr, tryParseAddress } from '../net/index.js';

/** A flagged IP and the distinct reasons of its active flags. */
export interface FlaggedIp {
  ip: string;
  reasons: string[];
}

/** Flagged IPs that share a network. */
export interface RangeGroup {
  /** Canonical CIDR, e.g. `203.0.113.0/24`, `2001:db8:1:2::/64`. */
  range: string;
  family: 4 | 6;
  prefix: number;
  ips: FlaggedIp[];
}

/** Network sizes grouped: IPv4 /24; IPv6 /64 (one subscriber's LAN), then /48 (one site). */
export const RANGE_PREFIXES = { v4: 24, v6Narrow: 64, v6Wide: 48 } as const;

/**
 * Groups flagged IPs by network and keeps the networks holding at least `minIps` of them: IPv4 by
 * /24 (IPv4-mapped IPv6 counts as IPv4); IPv6 by /64 first — the narrowest range blocks the least
 * legitimate traffic, so a qualifying /64 wins — then the IPv6 IPs left over (in /64s that did not
 * qualify) by /48, which catches a client rotating through the /64s of its site. An IP is in at
 * most one group. Text that is not an address is ignored. Groups: most IPs first, then by range.
 */
export function groupFlaggedIps(flagged: readonly FlaggedIp[], minIps: number): RangeGroup[] {
  const v4 = new Map<string, { cidr: Cidr; ips: FlaggedIp[] }>();
  const v6 = new Map<string, { cidr: Cidr; ips: FlaggedIp[] }>();
  const v6Wide = new Map<string, { cidr: Cidr; ips: FlaggedIp[] }>();
  const add = (groups: typeof v4, cidr: Cidr, entry: FlaggedIp) => {
    const group = groups.get(cidr.text) ?? { cidr, ips: [] };
    group.ips.push(entry);
    groups.set(cidr.text, group);
  };
  for (const entry of flagged) {
    const address = tryParseAddress(entry.ip);
    if (!address) continue;
    const canonical = { ...entry, ip: address.text };
    if (address.family === 4) add(v4, enclosingCidr(address, RANGE_PREFIXES.v4), canonical);
    else add(v6, enclosingCidr(address, RANGE_PREFIXES.v6Narrow), canonical);
  }
  const out: RangeGroup[] = [];
  const keep = (groups: typeof v4, leftover?: (ips: FlaggedIp[]) => void) => {
    for (const { cidr, ips } of groups.values()) {
      if (ips.length >= minIps) out.push(toGroup(cidr, ips));
      else leftover?.(ips);
    }
  };
  keep(v4);
  keep(v6, (ips) => {
    for (const entry of ips) {
      const address = tryParseAddress(entry.ip);
      if (address) add(v6Wide, enclosingCidr(address, RANGE_PREFIXES.v6Wide), entry);
    }
  });
  keep(v6Wide);
  return out.sort((a, b) => b.ips.length - a.ips.length || a.range.localeCompare(b.range));
}

function toGroup(cidr: Cidr, ips: FlaggedIp[]): RangeGroup {
  return {
    range: cidr.text,
    family: cidr.network.family,
    prefix: cidr.prefix,
    ips: [...ips].sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true })),
  };
}
