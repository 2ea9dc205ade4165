import type { Logger } from '../log.js';
import type { AccessLists, AuditEntry } from '../store/index.js';
import type { FlagStore } from './flag-store.js';

export interface AutoBlockOptions {
  flags: FlagStore;
  lists: AccessLists;
  /** The state's audit trail: an operator's unblock there is respected (see {@link AutoBlocker}). */
  audit: () => readonly AuditEntry[];
  logger: Logger;
  /** Distinct active reasons that trigger a block (seed: 3). */
  reasons: number;
  /** Block lifetime (ms; seed default 7 days). */
  durationMs: number;
}

/** A block auto-block made, or would make in a dry run. */
export interface AutoBlockDecision {
  ip: string;
  reasons: string[];
}

/**
 * Auto-block (the seeds' daily task): IPs with active flags for `reasons` (3) or more distinct
 * reasons are blocked with reason "auto-block: <reasons>" for `durationMs`. Allowlisted and
 * already-blocked IPs are skipped, and so are the operator's own addresses (loopback, the admin
 * address, recent admin sessions: `AccessLists.operator`), so auto-block can never lock them out.
 * So is an IP an operator unblocked after all of its active flags were raised: the unblock said
 * those flags do not warrant a block, and only a flag raised after it counts again.
 * Runs after each new live flag, after each monitor run and daily.
 */
export class AutoBlocker {
  readonly #o: AutoBlockOptions;
  /**
   * IPs whose block is being written: the flags that qualify an IP are often raised together (one
   * batch of requests crosses three thresholds), and each asks; one block and one audit entry is right.
   */
  readonly #blocking = new Set<string>();

  constructor(options: AutoBlockOptions) {
    this.#o = options;
  }

  /** Changes the reason count and block lifetime (settings changed). */
  configure(reasons: number, durationMs: number): void {
    this.#o.reasons = reasons;
    this.#o.durationMs = durationMs;
  }

  /** What a run would block now. */
  plan(): AutoBlockDecision[] {
    const decisions: AutoBlockDecision[] = [];
    const unblocked = operatorUnblocks(this.#o.audit());
    for (const [ip, reasons] of this.#o.flags.activeReasonsByIp()) {
      const decision = this.#decide(ip, reasons, unblocked.get(ip));
      if (decision) decisions.push(decision);
    }
    return decisions;
  }

  /** `unblockedAt`: when an operator last unblocked exactly `ip` (epoch ms), if ever. */
  #decide(
    ip: string,
    reasons: ReadonlySet<string>,
    unblockedAt: number | undefined,
  ): AutoBlockDecision | undefined {
    if (reasons.size < this.#o.reasons || this.#blocking.has(ip)) return undefined;
    if (this.#o.lists.decide(ip).kind !== 'none') return undefined; // allowlisted or already blocked
    if (this.#o.lists.operator.has(ip)) return undefined; // never lock the operator out
    if (unblockedAt !== undefined && this.#newestFlag(ip, reasons) <= unblockedAt) return undefined;
    return { ip, reasons: [...reasons].sort() };
  }

  /** When the newest of `ip`'s active flags was first raised (epoch ms). */
  #newestFlag(ip: string, reasons: ReadonlySet<string>): number {
    let newest = Number.NEGATIVE_INFINITY;
    for (const reason of reasons) {
      const flag = this.#o.flags.active(ip, reason);
      if (flag) newest = Math.max(newest, Date.parse(flag.first_seen));
    }
    return newest;
  }

  /** Blocks every IP the plan names (unless `dryRun`), each decided again just before; returns the blocks made (or planned). */
  async run(dryRun = false): Promise<AutoBlockDecision[]> {
    const decisions = this.plan();
    if (dryRun) return decisions;
    const made: AutoBlockDecision[] = [];
    for (const planned of decisions) {
      // Decided again: a live flag's auto-block or an operator may have blocked it meanwhile.
      const decision = this.#decide(
        planned.ip,
        this.#o.flags.activeReasons(planned.ip),
        lastOperatorUnblock(this.#o.audit(), planned.ip),
      );
      if (decision === undefined) continue;
      await this.#block(decision);
      made.push(decision);
    }
    return made;
  }

  /** Blocks `ip` if it now qualifies (called after a new flag). */
  async consider(ip: string): Promise<boolean> {
    const decision = this.#decide(
      ip,
      this.#o.flags.activeReasons(ip),
      lastOperatorUnblock(this.#o.audit(), ip),
    );
    if (!decision) return false;
    await this.#block(decision);
    return true;
  }

  async #block(decision: AutoBlockDecision): Promise<void> {
    this.#blocking.add(decision.ip);
    try {
      await this.#o.lists.block({
        target: decision.ip,
        reason: `auto-block: ${decision.reasons.join(', ')}`,
        durationMs: this.#o.durationMs,
        actor: 'job:auto-block',
      });
    } finally {
      this.#blocking.delete(decision.ip);
    }
    this.#o.logger.warn(
      { 'source.ip': decision.ip, reasons: decision.reasons },
      `auto-blocked ${decision.ip}: ${decision.reasons.join(', ')}`,
    );
  }
}

/** An unblock an operator made (the UI, the CLI, the API), not a job. */
const byOperator = (e: AuditEntry) => e.action === 'unblock' && !e.actor.startsWith('job:');

/** The latest operator unblock of each target (epoch ms), in one pass over the audit trail. */
function operatorUnblocks(audit: readonly AuditEntry[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of audit) if (byOperator(entry)) out.set(entry.target, Date.parse(entry.at));
  return out;
}

/** The latest operator unblock of exactly `ip` (epoch ms), searched from the newest entry back. */
function lastOperatorUnblock(audit: readonly AuditEntry[], ip: string): number | undefined {
  const entry = audit.findLast((e) => e.target === ip && byOperator(e));
  return entry === undefined ? undefined : Date.parse(entry.at);
}
