import { type Cidr, tryParseAddress } from './address.js';
import { parseV4 } from './ipv4-number.js';
import { bytesToPacked, packedPrefix, parseV6Packed, V4_MAPPED_PACKED } from './ipv6-packed.js';

export { parseV4 } from './ipv4-number.js';

/**
 * A set of CIDR ranges (IPv4 and IPv6) mapping each range to a value, answering "which ranges
 * contain this address?" longest prefix first.
 *
 * Lookups cost O(number of distinct prefix lengths) ≤ 33 + 129 hash probes, whatever the number
 * of entries: one hash map per prefix length, keyed by the masked network (DESIGN.md: no linear
 * scan of the blocklist). IPv4 keys are 32-bit integers; IPv6 keys are packed strings, one character per 16-bit group
 * (see ipv6-packed.ts).
 */
export class AddressSet<T> {
  readonly #v4 = new Map<number, Uint32Map<T>>();
  readonly #v6 = new Map<number, Map<string, T>>();
  #v4Prefixes: number[] = [];
  #v6Prefixes: number[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds or replaces the value for `cidr`. */
  set(cidr: Cidr, value: T): void {
    if (cidr.network.family === 4) {
      this.#setV4(bytesToV4(cidr.network.bytes), cidr.prefix, value);
    } else {
      const table = tableFor(
        this.#v6,
        cidr.prefix,
        () => new Map<string, T>(),
        () => (this.#v6Prefixes = sortedKeys(this.#v6)),
      );
      const key = packedPrefix(bytesToPacked(cidr.network.bytes), cidr.prefix);
      if (!table.has(key)) this.#size++;
      table.set(key, value);
    }
  }

  /**
   * Adds or replaces the value for an IPv4 range given as text in the strict dotted-quad form
   * (`203.0.113.7`, `198.51.100.0/24`: decimal, no leading zeros, host bits may be set and are
   * masked, as `parseCidr` does). Returns false, adding nothing, for any other text: the caller
   * then parses it in full. Five times faster than `parseCidr` and `set` (ipaddr.js), which took
   * 2 s of a restart with 1M blocks (README "Growth curves").
   */
  setV4Text(text: string, value: T): boolean {
    const slash = text.indexOf('/');
    const ip = parseV4(slash === -1 ? text : text.slice(0, slash));
    if (ip === -1) return false;
    let prefix = 32;
    if (slash !== -1) {
      const digits = text.slice(slash + 1);
      if (!/^\d{1,3}$/.test(digits) || Number(digits) > 32) return false;
      prefix = Number(digits);
    }
    this.#setV4(ip, prefix, value);
    return true;
  }

  /** The value for exactly `cidr` (not for the ranges containing it), or undefined. Two hash probes. */
  get(cidr: Cidr): T | undefined {
    return cidr.network.family === 4
      ? this.#v4.get(cidr.prefix)?.get(v4Key(bytesToV4(cidr.network.bytes), cidr.prefix))
      : this.#v6.get(cidr.prefix)?.get(packedPrefix(bytesToPacked(cidr.network.bytes), cidr.prefix));
  }

  #setV4(ip: number, prefix: number, value: T): void {
    const table = tableFor(
      this.#v4,
      prefix,
      () => new Uint32Map<T>(),
      () => (this.#v4Prefixes = sortedKeys(this.#v4)),
    );
    const key = v4Key(ip, prefix);
    if (!table.has(key)) this.#size++;
    table.set(key, value);
  }

  /** Removes `cidr`; returns whether it was present. */
  delete(cidr: Cidr): boolean {
    const removed =
      cidr.network.family === 4
        ? (this.#v4.get(cidr.prefix)?.delete(v4Key(bytesToV4(cidr.network.bytes), cidr.prefix)) ?? false)
        : (this.#v6.get(cidr.prefix)?.delete(packedPrefix(bytesToPacked(cidr.network.bytes), cidr.prefix)) ??
          false);
    if (removed) this.#size--;
    return removed;
  }

  /** Removes every entry. */
  clear(): void {
    this.#v4.clear();
    this.#v6.clear();
    this.#v4Prefixes = [];
    this.#v6Prefixes = [];
    this.#size = 0;
  }

  /**
   * The value of the longest-prefix range containing `ip` for which `accept` returns true
   * (e.g. "not expired"), or undefined. IPv4 must be canonical dotted-quad text (as produced by
   * `parseAddress` or the client-IP resolver); IPv6 text is parsed (by hand, see ipv6-packed.ts), and IPv4-mapped IPv6 is looked
   * up among the IPv4 ranges. Anything that is not an address matches nothing.
   */
  match(ip: string, accept?: (value: T) => boolean): T | undefined {
    const v4 = parseV4(ip);
    if (v4 !== -1) {
      for (const prefix of this.#v4Prefixes) {
        const value = this.#v4.get(prefix)?.get(v4Key(v4, prefix));
        if (value !== undefined && (accept === undefined || accept(value))) return value;
      }
      return undefined;
    }
    if (this.#v6Prefixes.length === 0 || !ip.includes(':')) return undefined;
    let packed = parseV6Packed(ip);
    if (packed === null) {
      // Dotted tails (`::ffff:1.2.3.4`) and non-addresses: the general parser decides.
      const address = tryParseAddress(ip);
      if (address === null) return undefined;
      if (address.family === 4) return this.match(address.text, accept);
      packed = bytesToPacked(address.bytes);
    } else if (packed.startsWith(V4_MAPPED_PACKED)) {
      return this.match(packedToV4(packed), accept);
    }
    for (const prefix of this.#v6Prefixes) {
      const value = this.#v6.get(prefix)?.get(packedPrefix(packed, prefix));
      if (value !== undefined && (accept === undefined || accept(value))) return value;
    }
    return undefined;
  }
}

/** The IPv4 address of an IPv4-mapped packed IPv6 address, matched among the IPv4 ranges as parseAddress does. */
function packedToV4(packed: string): string {
  const high = packed.charCodeAt(6);
  const low = packed.charCodeAt(7);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

function tableFor<M>(tables: Map<number, M>, prefix: number, create: () => M, onNew: () => void): M {
  let table = tables.get(prefix);
  if (!table) {
    table = create();
    tables.set(prefix, table);
    onNew();
  }
  return table;
}

/**
 * A map keyed by unsigned 32-bit integers that stores every key as a V8 small integer (below 2^30)
 * in one of four maps chosen by the top two bits: a key of 2^30 or more would be a boxed heap
 * number, one more memory access per probe (about 2.5× slower lookups in a 600,000-key map).
 */
class Uint32Map<T> {
  readonly #parts: (Map<number, T> | undefined)[] = [undefined, undefined, undefined, undefined];

  get(key: number): T | undefined {
    return this.#parts[key >>> 30]?.get(key & 0x3fffffff);
  }

  has(key: number): boolean {
    return this.#parts[key >>> 30]?.has(key & 0x3fffffff) ?? false;
  }

  set(key: number, value: T): void {
    let part = this.#parts[key >>> 30];
    if (part === undefined) {
      part = new Map();
      this.#parts[key >>> 30] = part;
    }
    part.set(key & 0x3fffffff, value);
  }

  delete(key: number): boolean {
    return this.#parts[key >>> 30]?.delete(key & 0x3fffffff) ?? false;
  }
}

function sortedKeys(tables: Map<number, unknown>): number[] {
  return [...tables.keys()].sort((a, b) => b - a);
}

function v4Key(ip: number, prefix: number): number {
  return prefix === 0 ? 0 : ip >>> (32 - prefix);
}

function bytesToV4(bytes: readonly number[]): number {
  return (((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0)) >>> 0;
}
