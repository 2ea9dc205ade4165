import type { Logger } from '../log.js';
import { auditEntrySchema, type Cluster, type CountersClient, type Flag } from '../store/index.js';
import type { FlagChangeMeta, FlagEvents, FlagStore } from './flag-store.js';
import { MAX_CLOCK_AHEAD_MS, peerFlag } from './peer-flag.js';

/** The hash of every flag's latest state on the shared Redis: `<ip> <reason>` → {@link FlagRecord}. */
const HASH = 'flags:state';
/** Ended flags are dropped from the hash after this long (ms): longer than any flag lifetime. */
const ENDED_KEEP_MS = 30 * 86_400_000;

/** A record longer than this is no flag this instance wrote (its evidence is under 16 KB). */
const MAX_RECORD_LENGTH = 32_768;

/** Flag changes applied together while catching up. */
const RECONCILE_BATCH = 500;

/** The latest change to one (ip, reason): the flag as it stood, when, by whom and which instance. */
interface FlagRecord {
  at: number;
  by: string;
  actor: string;
  action: string;
  flag: Flag;
}

/**
 * Writes a record unless the hash holds a newer one for the field; one dated after ARGV[4] (further
 * ahead than clock skew: forged) never counts as newer. KEYS[1] hash; ARGV: field, JSON, at, latest.
 */
const PUT_IF_NEWER = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  local at = ok and type(decoded) == 'table' and tonumber(decoded.at)
  if at and at > tonumber(ARGV[3]) and at <= tonumber(ARGV[4]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`;

interface FlagScripts {
  ipwardenFlagPut(hash: string, field: string, record: string, at: number, latest: number): Promise<number>;
}

/**
 * Keeps each flag's latest state in a Redis hash as well as publishing it (flag-sync.ts), so an
 * instance that was stopped or cut off when a flag was raised, refreshed, dismissed or expired
 * catches up when it (re)connects: pub/sub delivers only to the instances listening at the time.
 * On every connect: a flag active in Redis and not here is added, one ended in Redis after it was
 * last seen here is ended here (a dismissal is remembered as one), and a flag active here that Redis
 * does not know (raised while it was unreachable) is written there and published.
 */
export class FlagStateSync {
  readonly #flags: FlagStore;
  readonly #cluster: Cluster;
  readonly #counters: CountersClient;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #scripts: FlagScripts;

  constructor(
    flags: FlagStore,
    cluster: Cluster,
    counters: CountersClient,
    logger: Logger,
    now: () => number = Date.now,
  ) {
    this.#flags = flags;
    this.#cluster = cluster;
    this.#counters = counters;
    this.#logger = logger;
    this.#now = now;
    counters.defineCommand('ipwardenFlagPut', { numberOfKeys: 1, lua: PUT_IF_NEWER });
    this.#scripts = counters as unknown as FlagScripts;
  }

  /** Writes a change made here; a failure is only logged (the next connect pushes what is missing). */
  record(flag: Flag, meta: FlagChangeMeta): void {
    const record: FlagRecord = {
      at: this.#now(),
      by: this.#cluster.instance,
      actor: meta.actor,
      action: meta.action,
      flag,
    };
    this.#put(record).catch((err: Error) => {
      this.#logger.debug({ 'error.message': err.message, 'source.ip': flag.ip }, 'flag state not shared');
    });
  }

  /** Brings this instance's flags and the hash together (see the class). */
  async reconcile(): Promise<void> {
    const known = await this.#read();
    const cutoff = this.#now() - ENDED_KEEP_MS;
    // Applied a batch at a time, not one by one: the changes of a batch share state commits.
    let batch: Promise<void>[] = [];
    for (const [field, record] of known) {
      const { flag } = record;
      if (!flag.is_active && record.at < cutoff) {
        await this.#counters.hdel(HASH, field);
        continue;
      }
      const meta = { actor: record.actor, action: record.action, from: record.by };
      const here = this.#flags.active(flag.ip, flag.reason);
      if (flag.is_active) {
        if (here === undefined || here.last_seen < flag.last_seen)
          batch.push(this.#flags.applyRemote('flag', flag, meta));
      } else if (here !== undefined && Date.parse(here.last_seen) <= record.at) {
        batch.push(this.#flags.applyRemote('unflag', flag, meta));
      }
      if (batch.length >= RECONCILE_BATCH) {
        await Promise.all(batch);
        batch = [];
      }
    }
    await Promise.all(batch);
    // Active here and newer than what Redis holds (raised, or raised again, while it was unreachable).
    for (const [ip, reasons] of [...this.#flags.activeReasonsByIp()]) {
      for (const reason of reasons) {
        const flag = this.#flags.active(ip, reason);
        const record = known.get(`${ip} ${reason}`);
        if (flag === undefined || (record !== undefined && !newerHere(flag, record))) continue;
        const meta = { actor: 'cluster-sync', action: 'flag' };
        await this.#put({ at: this.#now(), by: this.#cluster.instance, ...meta, flag });
        await this.#cluster.publish('flags', { kind: 'flag' satisfies keyof FlagEvents, flag, ...meta });
      }
    }
  }

  async #put(record: FlagRecord): Promise<void> {
    const field = `${record.flag.ip} ${record.flag.reason}`;
    const latest = this.#now() + MAX_CLOCK_AHEAD_MS;
    await this.#scripts.ipwardenFlagPut(HASH, field, JSON.stringify(record), record.at, latest);
  }

  /** The hash's records; a malformed one is skipped, as a malformed message is. */
  async #read(): Promise<Map<string, FlagRecord>> {
    const out = new Map<string, FlagRecord>();
    // A record from the future (a clock far ahead, or a forged `at`) would win every comparison for ever.
    const latest = this.#now() + MAX_CLOCK_AHEAD_MS;
    for (const [field, raw] of Object.entries(await this.#counters.hgetall(HASH))) {
      if (raw.length > MAX_RECORD_LENGTH) continue;
      try {
        const value = JSON.parse(raw) as Partial<FlagRecord>;
        const flag = peerFlag(value.flag, this.#now());
        const actor = auditEntrySchema.shape.actor.safeParse(value.actor);
        if (!flag || !actor.success || typeof value.at !== 'number' || !(value.at <= latest)) continue;
        if (field !== `${flag.ip} ${flag.reason}`) continue;
        if (typeof value.by !== 'string' || typeof value.action !== 'string') continue;
        out.set(field, { at: value.at, by: value.by, actor: actor.data, action: value.action, flag });
      } catch {
        // Not JSON: skipped.
      }
    }
    return out;
  }
}

/** True when the active flag here is newer than the hash's record of its (ip, reason). */
function newerHere(flag: Flag, record: FlagRecord): boolean {
  if (record.flag.is_active) return flag.last_seen > record.flag.last_seen;
  // Ended there: newer when seen here after the end (a dismissal's traffic does not raise it here).
  return Date.parse(flag.last_seen) > record.at;
}
