import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import RedisMock from 'ioredis-mock';

/** The Redis-protocol client that holds rate-limit counters, learned sessions and detection windows. */
export type CountersClient = Redis;

export interface CountersOptions {
  /** `redis://…`: a real, shared Redis. Omitted: an in-process ioredis-mock private to this appliance. */
  url?: string;
  /** Prepended to every key so several applications can share one Redis. */
  prefix: string;
}

/**
 * Connects the counters store. Each embedded store gets its own data: ioredis-mock instances in
 * one process share data unless their options differ, so a unique host name is passed.
 */
export function createCounters(options: CountersOptions): CountersClient {
  if (options.url) {
    return new Redis(options.url, { keyPrefix: options.prefix, lazyConnect: false, maxRetriesPerRequest: 1 });
  }
  return new RedisMock({
    host: `ipwarden-embedded-${randomUUID()}`,
    keyPrefix: options.prefix,
  }) as unknown as Redis;
}
