import { AddressSet, type Cidr, cidrsOverlap, parseCidr, tryParseAddress } from '../net/index.js';

/** Loopback: the admin UI's own machine (the admin server listens there by default). */
const LOOPBACK = ['127.0.0.0/8', '::1/128'];

/** Addresses of authenticated admin sessions remembered (the most recent; older ones fall out). */
const MAX_SEEN = 64;

/**
 * The addresses the operator uses, which a block must never silently cover (issue 5, "the operator
 * can never lock themselves out"): loopback, the admin listen address, and the remote address of
 * every recent authenticated admin request (up to 64, most recent kept, in memory only).
 */
export class OperatorAddresses {
  readonly #fixed: Cidr[];
  readonly #fixedSet = new AddressSet<true>();
  readonly #seen = new Map<string, Cidr>();

  /** @param fixed extra IPs or CIDRs besides loopback (the admin listen host); non-addresses are ignored. */
  constructor(fixed: readonly string[] = []) {
    this.#fixed = [];
    for (const text of [...LOOPBACK, ...fixed]) {
      const address = tryParseAddress(text);
      const cidr = address ? parseCidr(address.text) : text.includes('/') ? parseCidr(text) : null;
      if (cidr === null || (address && this.#fixedSet.match(address.text) !== undefined)) continue;
      this.#fixed.push(cidr);
      this.#fixedSet.set(cidr, true);
    }
  }

  /** Remembers the remote address of an authenticated admin request. */
  note(ip: string): void {
    const address = tryParseAddress(ip);
    if (address === null || this.#fixedSet.match(address.text) !== undefined) return;
    this.#seen.delete(address.text);
    this.#seen.set(address.text, parseCidr(address.text));
    if (this.#seen.size > MAX_SEEN) this.#seen.delete(this.#seen.keys().next().value as string);
  }

  /** True when `ip` (canonical) is one the operator uses. */
  has(ip: string): boolean {
    return this.#fixedSet.match(ip) !== undefined || this.#seen.has(ip);
  }

  /** The operator's addresses or ranges that `range` covers or overlaps (canonical text). */
  within(range: Cidr): string[] {
    const hits: string[] = [];
    for (const cidr of [...this.#fixed, ...this.#seen.values()])
      if (cidrsOverlap(range, cidr)) hits.push(cidr.text);
    return hits;
  }
}
