import type { EventEmitter } from 'node:events';
import { LRUCache } from 'lru-cache';

/** What the sweeper needs of an ioredis-mock client's shared keyspace (its `context`). */
interface MockContext {
  data: { has(key: string): boolean; delete(key: string): void };
  modifiedKeyEvents: EventEmitter;
}

/** Options of {@link sweepExpiredKeys}; times in ms. */
export interface ExpirySweepOptions {
  /** Pause between sweeps, default 60 000. */
  intervalMs?: number;
  /** Keys checked per event-loop turn, default 10 000 (about 2 ms), so a sweep never stalls requests. */
  batch?: number;
  /**
   * Most keys held, default {@link EMBEDDED_MAX_KEYS}; past it the least recently written key is
   * dropped at once.
   */
  maxKeys?: number;
}

/**
 * Default cap on embedded counter keys (about 400 bytes each in ioredis-mock: ~20 MB). Live detection
 * keeps one key per active client IP for a whole hour, so a flood of distinct IPs would otherwise
 * grow memory without bound (issue 8). The keys dropped are those written longest ago: a client
 * that keeps sending stays counted. A real Redis (`--redis`) applies its own maxmemory policy.
 */
export const EMBEDDED_MAX_KEYS = 50_000;

/** A running sweeper: `sweep()` runs one pass now (tests, shutdown); `stop()` ends the timer. */
export interface ExpirySweeper {
  /** Keys being watched (set since their last sweep and not yet gone). */
  readonly tracked: number;
  /** Keys dropped so far because the store was at `maxKeys`. */
  readonly evicted: number;
  sweep(): Promise<number>;
  stop(): void;
}

/**
 * Deletes expired keys from an embedded ioredis-mock store. ioredis-mock only drops a key whose TTL
 * has passed when that key is read again, so counters for client IPs that never come back (rate
 * limits, live-detection windows, learned sessions) would stay forever: memory would grow with
 * every distinct IP ever seen. The sweeper watches every key written (the mock's own
 * `modifiedKeyEvents`) and, every `intervalMs`, asks the store whether each still exists — which
 * makes the mock drop it if expired — and forgets the ones that are gone. It also caps the store at
 * `maxKeys`, dropping the least recently written key beyond it. Resolves with how many
 * keys the pass removed from watch. Throws at setup if the client is not an ioredis-mock (a version
 * without `context`), so a library change fails at start, not silently.
 */
export function sweepExpiredKeys(client: object, options: ExpirySweepOptions = {}): ExpirySweeper {
  const context = (client as { context?: Partial<MockContext> }).context;
  if (typeof context?.data?.has !== 'function' || typeof context.modifiedKeyEvents?.on !== 'function') {
    throw new TypeError('embedded counters: ioredis-mock without context.data / modifiedKeyEvents');
  }
  const { data, modifiedKeyEvents } = context as MockContext;
  const intervalMs = options.intervalMs ?? 60_000;
  const batch = options.batch ?? 10_000;
  const maxKeys = options.maxKeys ?? EMBEDDED_MAX_KEYS;
  let evicted = 0;
  let evicting = false;
  // Keys by recency of their last write. An LRU list, not a Set whose first entry is taken: a Set
  // that keys are deleted from skips every deleted entry to find its first, 20 µs a write at the cap.
  const tracked = new LRUCache<string, true>({
    max: maxKeys,
    dispose: (_, oldest, reason) => {
      if (reason !== 'evict') return;
      // The delete below emits 'modified' too; `track` must not re-enter the cache, which is
      // still mid-`set` (lru-cache calls dispose before it unlinks the evicted entry).
      evicting = true;
      try {
        data.delete(oldest);
      } finally {
        evicting = false;
      }
      evicted++;
    },
  });
  const track = (key: string) => {
    if (evicting) return;
    if (data.has(key)) tracked.set(key, true);
    else tracked.delete(key); // a delete (or a lazy expiry) also reports 'modified'
  };
  modifiedKeyEvents.on('modified', track);

  const sweep = async (): Promise<number> => {
    let gone = 0;
    const keys = [...tracked.keys()]; // writes during the pass's pauses must not move its cursor
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      // Evicted or deleted during a pause: not this pass's to count.
      if (tracked.has(key) && !data.has(key)) {
        tracked.delete(key);
        gone++;
      }
      if ((i + 1) % batch === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return gone;
  };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void sweep().finally(() => {
      running = false;
    });
  }, intervalMs);
  timer.unref();
  return {
    get tracked() {
      return tracked.size;
    },
    get evicted() {
      return evicted;
    },
    sweep,
    stop() {
      clearInterval(timer);
      modifiedKeyEvents.off('modified', track);
    },
  };
}
