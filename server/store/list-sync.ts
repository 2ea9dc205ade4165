import type { Logger } from '../log.js';
import type { AccessListChange, AccessLists } from './access-lists.js';
import type { Cluster } from './cluster.js';
import type { CountersClient } from './counters.js';
import { type List, type ListRecord, lastRemovals, parseRecord, toChange } from './list-records.js';
import type { AuditEntry } from './state-schema.js';

const LISTS: readonly List[] = ['blocklist', 'allowlist'];
const HASH: Record<List, string> = { blocklist: 'lists:blocklist', allowlist: 'lists:allowlist' };
/** How soon a change Redis refused on a live connection is tried again (ms). */
const PUT_RETRY_MS = 1_000;
/** Tombstones are dropped after this long (ms): an instance away longer may bring a removed entry back. */
const TOMBSTONE_TTL_MS = 30 * 86_400_000;

/**
 * Writes a record unless Redis holds one at least as new, and publishes it in the same step, so
 * the hash and the messages agree on the order of changes (last writer by `at` wins; a tie keeps
 * what is there, unless this instance wrote it: its changes to a target are written in the order
 * they were made, so a block and its unblock in the same millisecond keep that order).
 * KEYS[1] hash; ARGV: target, record JSON, record at, channel, message, record by.
 */
const PUT_IF_NEWER = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and tonumber(decoded.at) then
    local at, new = tonumber(decoded.at), tonumber(ARGV[3])
    if at > new or (at == new and decoded.by ~= ARGV[6]) then return 0 end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1`;

/** Deletes a field only if it still holds the given value (pruning a tombstone nobody replaced). */
const DELETE_IF_EQUAL = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`;

interface ListScripts {
  ipwardenListPut(
    hash: string,
    target: string,
    record: string,
    at: number,
    channel: string,
    message: string,
    by: string,
  ): Promise<number>;
  ipwardenListPrune(hash: string, target: string, record: string): Promise<number>;
}

export interface ListSyncOptions {
  lists: AccessLists;
  /** The audit trail of the same state: it remembers removals made here across a restart. */
  audit: () => readonly AuditEntry[];
  counters: CountersClient;
  cluster: Cluster;
  logger: Logger;
  now?: () => number;
}

/**
 * Keeps the blocklist and allowlist of every instance on a shared Redis the same (README "Running
 * several instances"). Redis holds the current set as two hashes (`lists:blocklist`,
 * `lists:allowlist`: target → record), so a starting instance loads it; each change is written
 * there and published on the cluster channel in one Lua step, and the other instances apply it to
 * their sets and their own state file. The state file stays the local copy that enforces blocks
 * while Redis is unreachable.
 *
 * Reconcile rule, on every (re)connect: per target, the change with the latest time wins. Local
 * changes that could not be written (Redis down) are kept and pushed; a local entry Redis does not
 * know (a Redis restarted empty, a first instance with an existing state) is pushed; a removal made
 * here after Redis's entry (found in the audit trail, so it survives a restart while Redis was
 * down) is pushed as a tombstone; everything else is taken from Redis.
 */
export class ListSync {
  readonly #o: Required<ListSyncOptions>;
  readonly #scripts: ListScripts;
  /** Local changes not yet in Redis, by `list target`. */
  readonly #pending = new Map<string, AccessListChange>();
  #flushing: Promise<void> = Promise.resolve();
  /** Why the last write of a change failed on a live connection, while it keeps failing. */
  #refused: string | null = null;
  #retry: NodeJS.Timeout | null = null;
  /** Messages are applied one after the other: each is planned against the lists the last one left. */
  #applying: Promise<void> = Promise.resolve();

  constructor(options: ListSyncOptions) {
    this.#o = { now: Date.now, ...options };
    const { counters } = options;
    counters.defineCommand('ipwardenListPut', { numberOfKeys: 1, lua: PUT_IF_NEWER });
    counters.defineCommand('ipwardenListPrune', { numberOfKeys: 1, lua: DELETE_IF_EQUAL });
    this.#scripts = counters as unknown as ListScripts;
  }

  /** Starts publishing local changes, applying remote ones, and reconciling on every connect. */
  start(): void {
    const { lists, cluster } = this.#o;
    lists.on('change', (change) => {
      if (change.from !== undefined) return;
      this.#pending.set(`${change.list} ${change.target}`, change);
      void this.#flush();
    });
    cluster.subscribe('lists', (body, from) => {
      this.#applying = this.#applying
        .then(() => this.#applyMessage(body, from))
        .catch((err: Error) =>
          this.#o.logger.error(
            { 'error.message': err.message },
            'could not apply a list change from the cluster',
          ),
        );
    });
    cluster.onConnect(() => this.reconcile());
  }

  /**
   * Why local list changes are not reaching the other instances although Redis is connected (it
   * refuses the writes), or null. An outage is the cluster link's problem, not this one.
   */
  problem(): string | null {
    if (this.#refused === null || this.#pending.size === 0) return null;
    return `Redis refuses list changes (${this.#refused}): ${this.#pending.size} not yet shared with the other instances, retried every ${PUT_RETRY_MS / 1000} s`;
  }

  /** Pushes pending and unknown local entries, then makes the local lists match Redis. */
  async reconcile(): Promise<void> {
    await this.#flush();
    if (this.#pending.size > 0) throw new Error('pending list changes could not be written to Redis');
    for (const list of LISTS) {
      const known = await this.#read(list);
      for (const entry of this.#o.lists.entries(list)) {
        const record = known.get(entry.target);
        const at = Date.parse(entry.createdAt);
        if (!record || record.at < at) {
          await this.#put(list, entry.target, {
            at,
            actor: entry.createdBy,
            by: this.#o.cluster.instance,
            entry,
          });
        }
      }
      const changes: (AccessListChange & { from: string })[] = [];
      const cutoff = this.#o.now() - TOMBSTONE_TTL_MS;
      const locals = new Map(this.#o.lists.entries(list).map((e) => [e.target, e] as const));
      const removals = lastRemovals(this.#o.audit(), list);
      for (const [target, record] of await this.#read(list)) {
        if (record.entry === null && record.at < cutoff) {
          await this.#scripts.ipwardenListPrune(HASH[list], target, JSON.stringify(record));
        }
        const change = toChange(list, target, record);
        const local = locals.get(target);
        if (change.action === 'remove' && local && Date.parse(local.createdAt) > record.at) continue;
        const removed = local === undefined && change.action === 'add' ? removals.get(target) : undefined;
        if (removed !== undefined && removed.at > record.at) {
          const tombstone = { ...removed, by: this.#o.cluster.instance, entry: null };
          if (await this.#put(list, target, tombstone)) continue;
        }
        changes.push(change);
      }
      await this.#o.lists.applyRemote(changes);
    }
  }

  /** The Redis records of one list; a malformed field is skipped. */
  async #read(list: List): Promise<Map<string, ListRecord>> {
    const out = new Map<string, ListRecord>();
    for (const [target, raw] of Object.entries(await this.#o.counters.hgetall(HASH[list]))) {
      const record = parseRecord(list, raw);
      if (record) out.set(target, record);
    }
    return out;
  }

  /** Writes and publishes `record` if it is the newest for `target`; true when it was. */
  async #put(list: List, target: string, record: ListRecord): Promise<boolean> {
    const { cluster } = this.#o;
    const message = cluster.message('lists', { list, target, record });
    const json = JSON.stringify(record);
    return (
      (await this.#scripts.ipwardenListPut(
        HASH[list],
        target,
        json,
        record.at,
        cluster.channel,
        message,
        record.by,
      )) === 1
    );
  }

  /** Writes pending local changes, serialised. A change that lost to a newer one is replaced by it. */
  #flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      for (const [key, change] of [...this.#pending]) {
        const record: ListRecord = {
          at: change.at,
          actor: change.actor,
          by: this.#o.cluster.instance,
          entry: change.action === 'add' ? (change.entry ?? null) : null,
        };
        try {
          const won = await this.#put(change.list, change.target, record);
          if (this.#pending.get(key) === change) this.#pending.delete(key);
          if (!won) {
            const newer = (await this.#read(change.list)).get(change.target);
            if (newer) await this.#o.lists.applyRemote([toChange(change.list, change.target, newer)]);
          }
        } catch (err) {
          // Kept for the next connect; while Redis is down the cluster link has logged the outage.
          // Refused on a live connection (OOM at maxmemory, READONLY after a failover, MISCONF):
          // no reconnect will come, so it is tried again every PUT_RETRY_MS.
          if (this.#o.cluster.problem() === null && this.#o.counters.status !== 'end') {
            if (this.#refused === null) {
              this.#o.logger.warn(
                { 'error.message': (err as Error).message, target: change.target },
                `Redis refused a list change; it is kept and tried again every ${PUT_RETRY_MS / 1000} s`,
              );
            }
            this.#refused = (err as Error).message;
            this.#retryLater();
          }
          return;
        }
        if (this.#refused !== null) this.#o.logger.info('list changes Redis had refused are shared again');
        this.#refused = null;
      }
    });
    return this.#flushing;
  }

  #retryLater(): void {
    if (this.#retry !== null) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      void this.#flush();
    }, PUT_RETRY_MS);
    this.#retry.unref();
  }

  async #applyMessage(body: unknown, from: string): Promise<void> {
    const { list, target, record } = (body ?? {}) as { list?: unknown; target?: unknown; record?: unknown };
    if ((list !== 'blocklist' && list !== 'allowlist') || typeof target !== 'string') return;
    const parsed = parseRecord(list, JSON.stringify(record));
    if (!parsed) return;
    // One older than a change made or applied here since (written or still pending) is dropped by
    // applyRemote (ChangeTimes).
    await this.#o.lists.applyRemote([{ ...toChange(list, target, parsed), from }]);
  }
}
