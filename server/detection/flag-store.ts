import { EventEmitter } from 'node:events';
import type { AccessLists, Flag, StateStore } from '../store/index.js';
import type { FlagReason } from './rules.js';

/** Evidence for raising or refreshing a flag. */
export interface FlagEvidence {
  ip: string;
  reason: FlagReason;
  /** Requests counted toward the reason in the window. */
  count: number;
  /** What the operator needs to judge it: window, threshold, sample paths, score, source. */
  details: Record<string, unknown>;
  /** When the evidence was seen (ms since epoch). */
  seenAt: number;
}

export interface FlagEvents {
  /** A new active flag (not a refresh of an active one). */
  flag: [Flag];
  /** A flag deactivated by cleanup or dismissed by an operator. */
  unflag: [Flag];
}

/** The outcome of {@link FlagStore.raise}. */
export type RaiseOutcome = 'created' | 'updated' | 'unchanged' | 'allowlisted';

/**
 * SuspiciousIP records in the state store: one active flag per (ip, reason); a repeat refreshes
 * it (last_seen, request_count, details). Every new flag and every end of a flag is written to the
 * audit trail. Allowlisted IPs are never flagged.
 */
export class FlagStore extends EventEmitter<FlagEvents> {
  readonly #state: StateStore;
  readonly #lists: AccessLists;
  /** An active flag is refreshed on disk at most this often (ms): lowdb rewrites the whole file. */
  readonly #refreshMs: number;

  constructor(state: StateStore, lists: AccessLists, refreshMs = 60_000) {
    super();
    this.#state = state;
    this.#lists = lists;
    this.#refreshMs = refreshMs;
  }

  /** Active flags, newest first, optionally filtered. */
  list(filter: { active?: boolean; reason?: string; ip?: string } = {}): Flag[] {
    return this.#state.data.flags
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
    return this.#state.data.flags.find((f) => f.is_active && f.ip === ip && f.reason === reason);
  }

  /** Distinct reasons with an active flag, per IP. */
  activeReasonsByIp(): Map<string, Set<string>> {
    const byIp = new Map<string, Set<string>>();
    for (const f of this.#state.data.flags) {
      if (!f.is_active) continue;
      const reasons = byIp.get(f.ip) ?? new Set<string>();
      reasons.add(f.reason);
      byIp.set(f.ip, reasons);
    }
    return byIp;
  }

  /**
   * Raises a new flag or refreshes the active one for (ip, reason). A refresh keeps the larger
   * count and is written at most once per refresh interval unless the count grew by half.
   */
  async raise(evidence: FlagEvidence, actor: string): Promise<RaiseOutcome> {
    if (this.#lists.isAllowlisted(evidence.ip)) return 'allowlisted';
    const seen = new Date(evidence.seenAt).toISOString();
    const existing = this.active(evidence.ip, evidence.reason);
    if (existing) {
      const stale = evidence.seenAt - Date.parse(existing.last_seen) >= this.#refreshMs;
      const grew = evidence.count >= existing.request_count * 1.5;
      if (!stale && !grew) return 'unchanged';
      await this.#state.update((state) => {
        const flag = state.flags.find(
          (f) => f.is_active && f.ip === evidence.ip && f.reason === evidence.reason,
        );
        if (!flag) return;
        if (seen > flag.last_seen) flag.last_seen = seen;
        if (evidence.count >= flag.request_count) {
          flag.request_count = evidence.count;
          flag.details = evidence.details;
        }
      });
      return 'updated';
    }
    const flag: Flag = {
      ip: evidence.ip,
      reason: evidence.reason,
      details: evidence.details,
      request_count: evidence.count,
      first_seen: seen,
      last_seen: seen,
      is_active: true,
    };
    await this.#state.update((state) => {
      state.flags.push(flag);
      state.audit.push({
        at: new Date().toISOString(),
        actor,
        action: 'flag',
        target: flag.ip,
        reason: flag.reason,
        details: flag.details,
      });
    });
    this.emit('flag', flag);
    return 'created';
  }

  /**
   * Deactivates the active flags of `ip` (all reasons, or one), e.g. an operator's "Dismiss".
   * Returns the flags ended.
   */
  async dismiss(ip: string, actor: string, reason?: string): Promise<Flag[]> {
    return this.#end((f) => f.ip === ip && (reason === undefined || f.reason === reason), actor, 'dismiss');
  }

  /** Deactivates active flags whose last_seen is before `cutoffMs` (the daily cleanup). */
  async expireBefore(cutoffMs: number, actor: string): Promise<Flag[]> {
    return this.#end((f) => Date.parse(f.last_seen) < cutoffMs, actor, 'unflag');
  }

  async #end(match: (f: Flag) => boolean, actor: string, action: string): Promise<Flag[]> {
    const ended = await this.#state.update((state) => {
      const out: Flag[] = [];
      const at = new Date().toISOString();
      for (const flag of state.flags) {
        if (!flag.is_active || !match(flag)) continue;
        flag.is_active = false;
        out.push({ ...flag });
        state.audit.push({ at, actor, action, target: flag.ip, reason: flag.reason });
      }
      return out;
    });
    for (const flag of ended) this.emit('unflag', flag);
    return ended;
  }
}
