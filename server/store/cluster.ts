import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { CountersClient } from './counters.js';

/** What the proxy does with a rate-limited request while Redis is unreachable. */
export type RedisFailurePolicy = 'open' | 'closed';

/**
 * The link between ipwarden instances that share a Redis (README "Running several instances"):
 * one pub/sub channel for changes, `SET NX` claims so one instance acts for the cluster, and the
 * connection state. Without a shared Redis it is a cluster of one: claims always win and nothing
 * is published.
 */
export interface Cluster {
  /** This instance's id, random per start; messages carry it so an instance ignores its own. */
  readonly instance: string;
  /** True when other instances may share the store (a real Redis). */
  readonly shared: boolean;
  /** The pub/sub channel. ioredis does not prefix channels, so the key prefix is part of the name. */
  readonly channel: string;
  /** The serialised message for `topic`, for Lua scripts that publish in the same step as a write. */
  message(topic: string, body: unknown): string;
  /** Publishes `body` on `topic` to the other instances. Rejects while Redis is unreachable. */
  publish(topic: string, body: unknown): Promise<void>;
  /** Calls `handler` for every message on `topic` from another instance. */
  subscribe(topic: string, handler: (body: unknown, from: string) => void): void;
  /** Calls `handler` each time the link to Redis is (re)established, after subscribing: resynchronise there. */
  onConnect(handler: () => Promise<void>): void;
  /**
   * Claims `key` for `ttlMs` unless another instance holds it (`SET key instance NX PX ttl`).
   * True when this instance won (always, when nothing is shared). Rejects while Redis is unreachable.
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Releases a claim early (whoever holds it). */
  release(key: string): Promise<void>;
  /**
   * Starts synchronising, once every handler is registered. Resolves when the first connection is
   * synchronised, or after `timeoutMs` (Redis unreachable at start: the instance serves meanwhile).
   */
  start(timeoutMs: number): Promise<void>;
  /** Why the shared store is degraded, for `/api/health`; null while it is fine. */
  problem(): string | null;
  close(): Promise<void>;
}

export interface ClusterOptions {
  counters: CountersClient;
  /** The key prefix (`redisPrefix`), also used to name the channel. */
  prefix: string;
  shared: boolean;
  failure: RedisFailurePolicy;
  logger: Logger;
}

/** The longest cluster message parsed (characters); a flag's evidence is at most 16 KB of it. */
const MAX_MESSAGE_LENGTH = 65_536;

/** Delay before a failed resynchronisation is tried again while Redis is reachable (ms). */
const RESYNC_RETRY_MS = 1_000;

/** Creates the cluster link; with `shared: false`, a cluster of one that needs no Redis. */
export function createCluster(options: ClusterOptions): Cluster {
  const instance = randomUUID();
  const channel = `${options.prefix}cluster`;
  const message = (topic: string, body: unknown) => JSON.stringify({ from: instance, topic, body });
  if (!options.shared) {
    return {
      instance,
      shared: false,
      channel,
      message,
      publish: () => Promise.resolve(),
      subscribe: () => undefined,
      onConnect: () => undefined,
      claim: () => Promise.resolve(true),
      release: () => Promise.resolve(),
      start: () => Promise.resolve(),
      problem: () => null,
      close: () => Promise.resolve(),
    };
  }
  return new SharedCluster(options, instance, channel, message);
}

class SharedCluster implements Cluster {
  readonly shared = true;
  readonly #counters: CountersClient;
  readonly #subscriber: Redis;
  readonly #o: ClusterOptions;
  readonly #handlers = new Map<string, (body: unknown, from: string) => void>();
  readonly #onConnect: (() => Promise<void>)[] = [];
  /** null while connected and synchronised; otherwise why not. */
  #problem: string | null = 'Redis: connecting';
  #outageLogged = false;
  #syncing: Promise<void> | null = null;
  /** A connection became ready during the resync under way: run another after it. */
  #syncAgain = false;
  readonly #firstSync: Promise<void>;
  #resolveFirstSync: () => void = () => undefined;
  #closed = false;
  #started = false;

  constructor(
    options: ClusterOptions,
    readonly instance: string,
    readonly channel: string,
    readonly message: (topic: string, body: unknown) => string,
  ) {
    this.#o = options;
    this.#counters = options.counters;
    // A subscribed connection can run nothing but (un)subscribe, so pub/sub gets its own.
    this.#subscriber = options.counters.duplicate({ autoResubscribe: false, enableOfflineQueue: true });
    this.#firstSync = new Promise((resolve) => {
      this.#resolveFirstSync = resolve;
    });
    for (const connection of [this.#counters, this.#subscriber]) {
      connection.on('ready', () => this.#connected());
      connection.on('error', (err: Error) => this.#lost(err.message));
      connection.on('close', () => this.#lost('connection closed'));
    }
    this.#subscriber.on('message', (_channel: string, raw: string) => this.#dispatch(raw));
  }

  publish(topic: string, body: unknown): Promise<void> {
    return this.#counters.publish(this.channel, this.message(topic, body)).then(() => undefined);
  }

  subscribe(topic: string, handler: (body: unknown, from: string) => void): void {
    this.#handlers.set(topic, handler);
  }

  onConnect(handler: () => Promise<void>): void {
    this.#onConnect.push(handler);
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    return (await this.#counters.set(key, this.instance, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async release(key: string): Promise<void> {
    await this.#counters.del(key);
  }

  start(timeoutMs: number): Promise<void> {
    this.#started = true;
    this.#connected();
    return Promise.race([
      this.#firstSync,
      new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
  }

  problem(): string | null {
    return this.#problem;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#syncing;
    this.#subscriber.disconnect();
  }

  #dispatch(raw: string): void {
    let envelope: { from?: unknown; topic?: unknown; body?: unknown };
    // No list change or flag is near this size; a bigger message is a hostile peer's, not parsed.
    if (raw.length > MAX_MESSAGE_LENGTH) {
      this.#o.logger.warn({ length: raw.length }, 'ignored an oversized cluster message');
      return;
    }
    try {
      envelope = JSON.parse(raw) as typeof envelope;
    } catch (err) {
      this.#o.logger.warn({ 'error.message': (err as Error).message }, 'ignored a malformed cluster message');
      return;
    }
    if (envelope.from === this.instance || typeof envelope.from !== 'string') return;
    this.#handlers.get(String(envelope.topic))?.(envelope.body, envelope.from);
  }

  #lost(reason: string): void {
    if (this.#closed) return;
    this.#problem = `Redis unreachable (${reason}): rate limits fail ${this.#o.failure}, blocks are enforced from the local copy, reconnecting`;
    if (this.#outageLogged) return;
    this.#outageLogged = true;
    this.#o.logger.error({ 'error.message': reason, failure: this.#o.failure }, this.#problem);
  }

  #connected(): void {
    if (!this.#started || this.#closed) return;
    if (this.#counters.status !== 'ready' || this.#subscriber.status !== 'ready') return;
    // A connection that came back while a resync runs (the subscriber dropped in the middle) needs
    // one more: its subscription went with it, and the resync under way may have missed it.
    if (this.#syncing) {
      this.#syncAgain = true;
      return;
    }
    this.#syncing = this.#sync().finally(() => {
      this.#syncing = null;
      if (!this.#syncAgain) return;
      this.#syncAgain = false;
      this.#connected();
    });
  }

  /** Subscribes, then runs every resynchronisation handler; retried while Redis stays reachable. */
  async #sync(): Promise<void> {
    try {
      await this.#subscriber.subscribe(this.channel);
      for (const handler of this.#onConnect) await handler();
      this.#problem = null;
      if (this.#outageLogged) this.#o.logger.info('Redis reachable again; shared state resynchronised');
      this.#outageLogged = false;
      this.#resolveFirstSync();
    } catch (err) {
      this.#lost((err as Error).message);
      setTimeout(() => this.#connected(), RESYNC_RETRY_MS).unref();
    }
  }
}
