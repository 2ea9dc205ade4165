import { EventEmitter } from 'node:events';
import type { AccessLists, Flag, StateStore } from '../store/index.js';
import { ActiveFlagIndex, type ActiveFlags } from './active-flag-index.js';
import { Dismissals } from './dismissals.js';
import { ACTIVE_FLAG_CAPACITY, endMatching, FlagCapacity } from './flag-capacity.js';
import type {
  FlagChangeMeta,
  FlagClaims,
  FlagEvents,
  FlagEvidence,
  FlagStoreOptions,
  RaiseOutcome,
} from './flag-types.js';
import {
  applyRefreshes,
  flagDetails,
  flagKey,
  type PendingRefresh,
  PendingRefreshes,
} from './pending-refreshes.js';

/** The store's types (FlagEvidence, RaiseOutcome, FlagStoreOptions …), for its importers. */
export type * from './flag-types.js';

/**
 * SuspiciousIP records in the state store: one active flag per (ip, reason); a repeat refreshes
 * it (last_seen, request_count, details). Every new flag and every end of a flag is written to the
 * audit trail at once; refreshes are written together every `refreshWriteMs` (and on
 * {@link close}), and reads ({@link list}, {@link active}) include them meanwhile. Allowlisted IPs
 * are never flagged.
 */
export class FlagStore extends EventEmitter<FlagEvents> {
  readonly #state: StateStore;
  readonly #lists: AccessLists;
  readonly #refreshMs: number;
  readonly #refreshWriteMs: number;
  readonly #claims: FlagClaims | undefined;
  readonly #onError: (err: Error) => void;
  readonly #refreshes = new PendingRefreshes();
  #refreshTimer: NodeJS.Timeout | null = null;
  /** The write of refreshes under way, if any: writes run one at a time. */
  #writing: Promise<void> | null = null;
  readonly #active = new ActiveFlagIndex();
  readonly #capacity: FlagCapacity;
  /** Dismissed (ip, reason) pairs: the traffic dismissed raises no new flag (dismissals.ts). */
  readonly dismissals: Dismissals;

  constructor(state: StateStore, lists: AccessLists, options: FlagStoreOptions = {}) {
    super();
    this.dismissals = new Dismissals(() => state.data.audit, options.quietAfterDismissMs ?? 3_600_000);
    this.#state = state;
    this.#lists = lists;
    this.#refreshMs = options.refreshMs ?? 60_000;
    this.#refreshWriteMs = options.refreshWriteMs ?? 10_000;
    this.#claims = options.claims;
    this.#onError = options.onError ?? ((err) => process.emitWarning(err));
    this.#capacity = new FlagCapacity(options.capacity ?? ACTIVE_FLAG_CAPACITY, options.now, options.onFull);
  }

  /**
   * What an operator must know about the store, or null: new flags were refused for want of room
   * within the last hour (see {@link FlagCapacity}).
   */
  problem(): string | null {
    return this.#capacity.problem();
  }

  /** True (and counted) when a new flag has no room (see {@link FlagCapacity.refuses}). */
  #full(): boolean {
    return this.#capacity.refuses(this.#activeIndex().byKey);
  }

  /** Flags, active and past, newest first (by last seen), optionally filtered. */
  list(filter: { active?: boolean; reason?: string; ip?: string } = {}): Flag[] {
    return this.#state.data.flags
      .map((f) => (f.is_active && this.#refreshes.size > 0 ? this.#refreshes.overlay(f) : f))
      .filter(
        (f) =>
          (filter.active === undefined || f.is_active === filter.active) &&
          (filter.reason === undefined || f.reason === filter.reason) &&
          (filter.ip === undefined || f.ip === filter.ip),
      )
      .sort((a, b) => b.last_seen.localeCompare(a.last_seen));
  }

  /** The active flag for (ip, reason), if any. */
  active(ip: string, reason: string): Flag | undefined {
    const flag = this.#activeIndex().byKey.get(flagKey(ip, reason));
    return flag && this.#refreshes.overlay(flag);
  }

  /** Distinct reasons with an active flag, per IP (do not modify). */
  activeReasonsByIp(): ReadonlyMap<string, ReadonlySet<string>> {
    return this.#activeIndex().byIp;
  }

  /** The reasons `ip` has an active flag for (empty when none). */
  activeReasons(ip: string): ReadonlySet<string> {
    return this.#activeIndex().byIp.get(ip) ?? new Set();
  }

  #activeIndex(): ActiveFlags {
    return this.#active.of(this.#state.data.flags);
  }

  /**
   * False when {@link raise} with this count, seen at `seenAt` (ms), would leave the active flag
   * for (ip, reason) unchanged; lets a caller skip building evidence that would be thrown away.
   */
  wouldChange(ip: string, reason: string, count: number, seenAt: number): boolean {
    const existing = this.active(ip, reason);
    return existing === undefined || this.#refreshDue(existing, count, seenAt);
  }

  #refreshDue(flag: Flag, count: number, seenAt: number): boolean {
    return seenAt - Date.parse(flag.last_seen) >= this.#refreshMs || count >= flag.request_count * 1.5;
  }

  /**
   * Raises a new flag or refreshes the active one for (ip, reason). A refresh keeps the larger
   * count, happens at most once per refresh interval unless the count grew by half, and is written
   * with the others waiting (see the class). A new
   * flag is created only if this instance wins the cluster's claim for it; if the claim cannot be
   * asked (Redis unreachable) it is created here, and the cluster merges duplicates later.
   */
  async raise(evidence: FlagEvidence, actor: string): Promise<RaiseOutcome> {
    if (this.#lists.isAllowlisted(evidence.ip)) return 'allowlisted';
    const seen = new Date(evidence.seenAt).toISOString();
    const existing = this.active(evidence.ip, evidence.reason);
    if (existing) {
      if (!this.#refreshDue(existing, evidence.count, evidence.seenAt)) return 'unchanged';
      const update = {
        ...existing,
        last_seen: seen,
        request_count: evidence.count,
        details: flagDetails(evidence.details, existing.details),
      };
      this.#refresh(update, { actor, action: 'refresh' });
      return 'updated';
    }
    if (this.dismissals.quiets(evidence.ip, evidence.reason, evidence.seenAt)) return 'dismissed';
    if (this.#full()) return 'full';
    const done = this.#capacity.creating(flagKey(evidence.ip, evidence.reason));
    try {
      if (this.#claims && !(await this.#claim(evidence.ip, evidence.reason))) return 'elsewhere';
      const flag: Flag = {
        ip: evidence.ip,
        reason: evidence.reason,
        details: flagDetails(evidence.details),
        request_count: evidence.count,
        first_seen: seen,
        last_seen: seen,
        is_active: true,
      };
      await this.#create(flag, { actor, action: 'flag' });
      return 'created';
    } finally {
      done();
    }
  }

  /**
   * Applies a flag change made on another instance (see {@link FlagChangeMeta.from}): a new or
   * refreshed flag is merged into the active one for (ip, reason) or added; an ended flag ends
   * the active one here. Emits the same events, with `from` set, so nothing is published twice.
   */
  async applyRemote(
    kind: keyof FlagEvents,
    flag: Flag,
    meta: FlagChangeMeta & { from: string },
  ): Promise<void> {
    if (kind === 'unflag') {
      // Dismissed elsewhere: remembered even if this instance never held the flag.
      if (meta.action === 'dismiss') this.dismissals.note(flag.ip, flag.reason, Date.now());
      await this.#end((f) => f.ip === flag.ip && f.reason === flag.reason, meta);
      return;
    }
    if (!flag.is_active || this.#lists.isAllowlisted(flag.ip)) return;
    if (this.active(flag.ip, flag.reason)) return this.#refresh(flag, meta);
    // Another instance's late refresh of a flag dismissed here must not bring it back.
    if (this.dismissals.quiets(flag.ip, flag.reason, Date.parse(flag.last_seen))) return;
    if (this.#full()) return;
    const done = this.#capacity.creating(flagKey(flag.ip, flag.reason));
    await this.#create({ ...flag }, meta).finally(done);
  }

  async #create(flag: Flag, meta: FlagChangeMeta): Promise<void> {
    await this.#state.update((state) => {
      state.flags.push(flag);
      state.audit.push({
        at: new Date().toISOString(),
        actor: meta.actor,
        action: 'flag',
        target: flag.ip,
        reason: flag.reason,
        details: meta.from ? { ...flag.details, instance: meta.from } : flag.details,
      });
    });
    // A refresh still waiting for this (ip, reason) belonged to a flag that has ended since.
    this.#refreshes.delete(flag.ip, flag.reason);
    this.emit('flag', flag, meta);
  }

  /** Queues `update` for the active flag of its (ip, reason) and makes sure a write is due. */
  #refresh(update: Flag, meta: FlagChangeMeta): void {
    this.#refreshes.add(update, meta);
    this.#scheduleWrite();
  }

  #scheduleWrite(): void {
    if (this.#refreshTimer !== null) return;
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = null;
      this.writeRefreshes().catch((err: Error) => this.#onError(err));
    }, this.#refreshWriteMs);
    this.#refreshTimer.unref();
  }

  /**
   * Writes every waiting refresh in one commit, then emits `refresh` for each flag still active.
   * Rejects when the state cannot be written; the refreshes then wait for the next write.
   */
  async writeRefreshes(): Promise<void> {
    // One at a time: a write under way may fail and put its refreshes back for this one.
    while (this.#writing !== null) await this.#writing.catch(() => undefined);
    if (this.#refreshTimer !== null) clearTimeout(this.#refreshTimer);
    this.#refreshTimer = null;
    const waiting = this.#refreshes.take();
    if (waiting.length === 0) return;
    const writing = this.#write(waiting);
    this.#writing = writing;
    try {
      await writing;
    } finally {
      this.#writing = null;
    }
  }

  async #write(waiting: PendingRefresh[]): Promise<void> {
    let refreshed: { flag: Flag; meta: FlagChangeMeta }[];
    try {
      refreshed = await this.#state.update((state) => applyRefreshes(state.flags, waiting));
    } catch (err) {
      this.#refreshes.restore(waiting);
      this.#scheduleWrite();
      throw err;
    }
    for (const { flag, meta } of refreshed) this.emit('refresh', flag, meta);
  }

  /** Writes the waiting refreshes, after any write under way (on shutdown). Rejects as {@link writeRefreshes}. */
  close(): Promise<void> {
    return this.writeRefreshes();
  }

  async #claim(ip: string, reason: string): Promise<boolean> {
    try {
      return await (this.#claims as FlagClaims).claim(ip, reason);
    } catch {
      return true; // Redis unreachable: flag here rather than not at all; instances merge later
    }
  }

  /**
   * Deactivates the active flags of `ip` (all reasons, or one), e.g. an operator's "Dismiss".
   * Returns the flags ended.
   */
  async dismiss(ip: string, actor: string, reason?: string): Promise<Flag[]> {
    const match = (f: Flag) => f.ip === ip && (reason === undefined || f.reason === reason);
    return this.#end(match, { actor, action: 'dismiss' });
  }

  /**
   * Deactivates active flags whose last_seen is before `cutoffMs` (the daily cleanup), counting a
   * sighting that is still waiting to be written (one may arrive while the expiry commits).
   */
  async expireBefore(cutoffMs: number, actor: string): Promise<Flag[]> {
    const expired = (f: Flag) => Date.parse(this.#refreshes.overlay(f).last_seen) < cutoffMs;
    return this.#end(expired, { actor, action: 'unflag' });
  }

  async #end(match: (f: Flag) => boolean, meta: FlagChangeMeta): Promise<Flag[]> {
    // Expiry reads last_seen: the latest sightings must be in the state first.
    await this.writeRefreshes();
    const ended = await this.#state.update((state) => endMatching(state, match, meta));
    for (const flag of ended) {
      if (meta.action === 'dismiss') this.dismissals.note(flag.ip, flag.reason, Date.now());
      // A sighting raised while this commit was under way refreshed the flag now ended: drop it.
      this.#refreshes.delete(flag.ip, flag.reason);
      // A new flag for the same (ip, reason) may be raised at once, by any instance.
      // If Redis is unreachable the claim simply lapses after its short lifetime.
      if (!meta.from) await this.#claims?.release(flag.ip, flag.reason).catch(() => undefined);
      this.emit('unflag', flag, meta);
    }
    return ended;
  }
}
