/**
 * Address arithmetic the UI needs: the network around an address ("Block /24", IPv6 "/64") and
 * whether a blocklist entry covers an address. Pure; IPv4-mapped IPv6 counts as IPv4.
 */

interface Parsed {
  version: 4 | 6;
  value: bigint;
}

function parseIpv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseHextets(text: string): number[] | null {
  if (text === '') return [];
  const groups: number[] = [];
  const parts = text.split(':');
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 === null) return null;
      groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    } else if (/^[0-9a-f]{1,4}$/i.test(part)) {
      groups.push(Number.parseInt(part, 16));
    } else {
      return null;
    }
  }
  return groups;
}

function parseIpv6(text: string): number[] | null {
  const halves = text.replace(/%.*$/, '').split('::');
  if (halves.length > 2) return null;
  const head = parseHextets(halves[0] ?? '');
  const tail = halves.length === 2 ? parseHextets(halves[1] ?? '') : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

function parseIp(text: string): Parsed | null {
  if (!text.includes(':')) {
    const value = parseIpv4(text);
    return value === null ? null : { version: 4, value };
  }
  const groups = parseIpv6(text);
  if (groups === null) return null;
  const value = groups.reduce((acc, group) => (acc << 16n) | BigInt(group), 0n);
  if (value >> 32n === 0xffffn) return { version: 4, value: value & 0xffffffffn };
  return { version: 6, value };
}

/** RFC 5952 text of eight hextets: lower case, longest run (≥ 2) of zero groups as `::`. */
function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** True when `text` is an IPv6 address that is not IPv4-mapped. */
export function isIpv6(text: string): boolean {
  return parseIp(text)?.version === 6;
}

/**
 * The network of `ip` with `prefix` bits: `networkOf('203.0.113.66', 24)` → `203.0.113.0/24`.
 * Returns null for text that is not an address.
 */
export function networkOf(ip: string, prefix: number): string | null {
  const parsed = parseIp(ip);
  if (parsed === null) return null;
  const bits = parsed.version === 4 ? 32n : 128n;
  const p = BigInt(Math.min(Math.max(prefix, 0), Number(bits)));
  const mask = ((1n << p) - 1n) << (bits - p);
  const network = parsed.value & mask;
  if (parsed.version === 4) return `${formatIpv4(network)}/${p}`;
  const groups = Array.from({ length: 8 }, (_, i) => Number((network >> BigInt((7 - i) * 16)) & 0xffffn));
  return `${formatIpv6(groups)}/${p}`;
}

/** The range a "Block range" button blocks: the /24 of an IPv4 address, the /64 of an IPv6 one. */
export function blockRangeOf(ip: string): string | null {
  const parsed = parseIp(ip);
  if (parsed === null) return null;
  return networkOf(ip, parsed.version === 4 ? 24 : 64);
}

/** True when `target` (an address or CIDR) covers the address `ip`. */
export function covers(target: string, ip: string): boolean {
  const address = parseIp(ip);
  const [base = '', prefixText] = target.split('/');
  const network = parseIp(base);
  if (address === null || network === null || address.version !== network.version) return false;
  const bits = address.version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return false;
  const shift = BigInt(bits - prefix);
  return address.value >> shift === network.value >> shift;
}
