import { LRUCache } from 'lru-cache';

export interface LookupCacheOptions<Q extends { key: string }, V> {
  /** Most entries kept; the least recently used goes first. */
  max: number;
  /** Entry lifetime, ms. */
  ttlMs: number;
  /** Clock, ms. */
  now: () => number;
  /** Computes the value on a miss or after expiry. */
  load: (query: Q) => V;
}

interface Entry<V> {
  value: V;
  storedAt: number;
}

/**
 * LRU cache of lookup results with a TTL and hit/miss counters; caches `null` results too.
 * The TTL is checked here rather than by lru-cache's `ttl`: lru-cache treats a start time of 0 as
 * "no TTL" and memoises `now()` with a real 1 ms timer, both wrong with an injected clock.
 */
export class LookupCache<Q extends { key: string }, V> {
  readonly #entries: LRUCache<string, Entry<V>>;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #load: (query: Q) => V;
  #hits = 0;
  #misses = 0;

  constructor(options: LookupCacheOptions<Q, V>) {
    this.#entries = new LRUCache({ max: options.max });
    this.#ttlMs = options.ttlMs;
    this.#now = options.now;
    this.#load = options.load;
  }

  /** The cached value for `query.key` if younger than the TTL, else `load(query)`, stored. */
  get(query: Q): V {
    const fresh = this.fresh(query.key);
    if (fresh !== undefined) return fresh.value;
    this.#misses++;
    const value = this.#load(query);
    this.#entries.set(query.key, { value, storedAt: this.#now() });
    return value;
  }

  /**
   * The entry stored under exactly `key` if younger than the TTL (counted as a hit), else `undefined`
   * (not counted: the caller goes on to `get()`). Lets a caller whose input may already be a key skip
   * the work of deriving one.
   */
  fresh(key: string): { readonly value: V } | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || this.#now() - entry.storedAt > this.#ttlMs) return undefined;
    this.#hits++;
    return entry;
  }

  /** Entries held (expired ones included until evicted or re-looked-up), and hits/misses so far. */
  stats(): { size: number; hits: number; misses: number } {
    return { size: this.#entries.size, hits: this.#hits, misses: this.#misses };
  }
}
