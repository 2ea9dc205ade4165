/**
 * Counts occurrences of keys in bounded memory, for "top N" tables over keys an attacker controls
 * (URL paths from a scanner are unbounded). Exact while at most `capacity` distinct keys are seen.
 * Beyond that it prunes like Misra–Gries (Misra & Gries 1982, "Finding repeated elements"):
 * subtract the median count from every key and drop those at or below it, so at least half the
 * slots free up and each prune costs O(capacity log capacity), O(log capacity) amortised per add.
 * Counts then underestimate by at most 2·total/capacity, so heavy hitters always survive.
 */
export class TopCounter {
  readonly #capacity: number;
  readonly #counts = new Map<string, number>();
  #approximate = false;
  #prunes = 0;

  /** `capacity` is the most distinct keys held (at least 2). */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 2)
      throw new RangeError(`capacity must be an integer >= 2, got ${capacity}`);
    this.#capacity = capacity;
  }

  /** Distinct keys held. */
  get size(): number {
    return this.#counts.size;
  }

  /** True when `key` is held. */
  has(key: string): boolean {
    return this.#counts.has(key);
  }

  /** Prunes so far: a change tells a caller keeping data per key that keys have gone. */
  get prunes(): number {
    return this.#prunes;
  }

  /** True once pruning has made counts estimates. */
  get approximate(): boolean {
    return this.#approximate;
  }

  /** Counts `n` (default 1) occurrences of `key`. */
  add(key: string, n = 1): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + n);
    if (this.#counts.size > this.#capacity) this.#prune();
  }

  /** Adds every count of `other` (used to merge hourly rollups); approximate if either was. */
  merge(other: TopCounter): void {
    for (const [key, count] of other.#counts) this.add(key, count);
    if (other.#approximate) this.#approximate = true;
  }

  /** The `n` keys with the highest counts, highest first, ties by key. */
  top(n: number): { key: string; count: number }[] {
    return topEntries(this.#counts, n, (count) => count).map(([key, count]) => ({ key, count }));
  }

  #prune(): void {
    const sorted = [...this.#counts.values()].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    for (const [key, count] of this.#counts) {
      if (count <= median) this.#counts.delete(key);
      else this.#counts.set(key, count - median);
    }
    this.#approximate = true;
    this.#prunes++;
  }
}

/**
 * The `n` entries of `map` with the highest `countOf(value)`, highest first, ties broken by key
 * ascending. One pass, O(size·n) worst case, without sorting the whole map.
 */
export function topEntries<V>(map: Map<string, V>, n: number, countOf: (value: V) => number): [string, V][] {
  const best: [string, V][] = [];
  const before = (a: [string, V], b: [string, V]) => {
    const diff = countOf(a[1]) - countOf(b[1]);
    return diff > 0 || (diff === 0 && a[0] < b[0]);
  };
  for (const entry of map) {
    if (best.length === n) {
      const worst = best[n - 1];
      if (worst === undefined || !before(entry, worst)) continue;
      best.pop();
    }
    let i = best.length;
    while (i > 0) {
      const previous = best[i - 1];
      if (previous === undefined || !before(entry, previous)) break;
      i--;
    }
    best.splice(i, 0, entry);
  }
  return best;
}
