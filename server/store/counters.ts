import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import RedisMock from 'ioredis-mock';
import { sweepExpiredKeys } from './embedded-expiry.js';

/** The Redis-protocol client that holds rate-limit counters, learned sessions and detection windows. */
export type CountersClient = Redis;

export interface CountersOptions {
  /** `redis://…`: a real, shared Redis. Omitted: an in-process ioredis-mock private to this appliance. */
  url?: string;
  /** Prepended to every key so several applications can share one Redis. */
  prefix: string;
}

/** Longest wait between reconnection attempts to a real Redis (ms). */
const MAX_RECONNECT_DELAY_MS = 2_000;
/** A command to a connected but silent Redis fails after this long (ms), so a request never hangs on it. */
const COMMAND_TIMEOUT_MS = 1_000;

/**
 * Connects the counters store. Each embedded store gets its own data: ioredis-mock instances in
 * one process share data unless their options differ, so a unique host name is passed. Expired
 * embedded keys are swept once a minute (see embedded-expiry.ts).
 *
 * A real Redis is used on the request path, so every call fails fast while it is unreachable
 * (no offline queue, one attempt, a 1 s command timeout) and the caller applies the failure policy;
 * ioredis reconnects in the background with exponential backoff (100 ms doubling, at most 2 s).
 */
export function createCounters(options: CountersOptions): CountersClient {
  if (options.url) {
    return new Redis(options.url, {
      keyPrefix: options.prefix,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), MAX_RECONNECT_DELAY_MS),
    });
  }
  const mock = new RedisMock({
    host: `ipwarden-embedded-${randomUUID()}`,
    keyPrefix: options.prefix,
  });
  // ioredis-mock forgets an expired key only when it is read again: sweep, or memory grows with
  // every client IP ever seen (issue 8).
  const sweeper = sweepExpiredKeys(mock);
  mock.once('end', () => sweeper.stop());
  return mock as unknown as Redis;
}
