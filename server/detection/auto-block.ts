import type { Logger } from '../log.js';
import { type Cidr, cidrContains, parseCidr, rateLimitSubject, tryParseAddress } from '../net/index.js';
import type { AccessLists, AuditEntry } from '../store/index.js';
import type { FlagStore } from './flag-store.js';

export interface AutoBlockOptions {
  flags: FlagStore;
  lists: AccessLists;
  /** The state's audit trail: an operator's unblock there is respected (see {@link AutoBlocker}). */
  audit: () => readonly AuditEntry[];
  /** Clock, epoch ms. */
  now: () => number;
  logger: Logger;
  /** Distinct active reasons that trigger a block (seed: 3). */
  reasons: number;
  /** Block lifetime (ms; seed default 7 days). */
  durationMs: number;
  /** Flag lifetime (ms; seed default 7 days): a flag last seen longer ago than this counts for nothing. */
  flagTtlMs: number;
  /**
   * An IPv6 client is blocked as its network of this many bits, as rate limits count it
   * (`--rate-limit-ipv6-prefix`, default 64; 128: the address alone). See {@link autoBlockTarget}.
   */
  ipv6Prefix?: number;
}

/** A block auto-block made, or would make in a dry run. */
export interface AutoBlockDecision {
  /** The flagged address. */
  ip: string;
  /** What is blocked: the address, or an IPv6 address's network (`2001:db8:1:2::/64`). */
  target: string;
  reasons: string[];
}

/**
 * What auto-block blocks for a flagged `ip`: an IPv6 address's enclosing `/v6Prefix` network (the
 * client as rate limits count it: one subscriber or host holds a whole /64 and can take a new
 * address per request, so blocking the address alone let it go on from the next one), else the
 * address itself (IPv4, and IPv6 addresses that stand for an IPv4 host: NAT64, 6to4, Teredo).
 */
export function autoBlockTarget(ip: string, v6Prefix: number): string {
  const subject = rateLimitSubject(ip, v6Prefix);
  return subject.includes('/') ? subject : ip;
}

/**
 * Auto-block (the seeds' daily task): IPs with active flags, seen within the flag lifetime
 * (`flagTtlMs`, 7 days), for `reasons` (3) or more distinct reasons are blocked with reason "auto-block: <reasons>" for `durationMs`. Allowlisted and
 * already-blocked IPs are skipped, and so are the operator's own addresses (loopback, the admin
 * address, recent admin sessions: `AccessLists.operator`), so auto-block can never lock them out.
 * So is an IP an operator unblocked (it or a range holding it, from the UI, the CLI, the API or
 * another instance) within the last `durationMs`: an unblock says the block was wrong, and it holds
 * as long as an auto-block would have. After that, flags still active block it again.
 * Runs after each new live flag, after each monitor run and daily.
 */
export class AutoBlocker {
  readonly #o: AutoBlockOptions;
  /**
   * Targets whose block is being written: the flags that qualify an IP are often raised together
   * (one batch of requests crosses three thresholds), and each asks, as do the addresses of one /64;
   * one block and one audit entry is right.
   */
  readonly #blocking = new Set<string>();
  /** Every unblock in the audit trail's first `read` entries (the last of them `last`), in order. */
  #unblocks: { read: number; last: AuditEntry | undefined; targets: { at: number; range: Cidr }[] } = {
    read: 0,
    last: undefined,
    targets: [],
  };

  constructor(options: AutoBlockOptions) {
    this.#o = options;
  }

  /** Changes the reason count, block lifetime and flag lifetime (settings changed). */
  configure(reasons: number, durationMs: number, flagTtlMs: number): void {
    // The unblock index keeps only the last `durationMs` of unblocks: a longer one reads the trail again.
    if (durationMs > this.#o.durationMs) this.#unblocks = { read: 0, last: undefined, targets: [] };
    this.#o.reasons = reasons;
    this.#o.durationMs = durationMs;
    this.#o.flagTtlMs = flagTtlMs;
  }

  /** What a run would block now. */
  plan(): AutoBlockDecision[] {
    const decisions: AutoBlockDecision[] = [];
    const unblocked = this.#recentUnblocks();
    for (const [ip, reasons] of this.#o.flags.activeReasonsByIp()) {
      const decision = this.#decide(ip, reasons, unblocked);
      if (decision) decisions.push(decision);
    }
    return decisions;
  }

  #decide(
    ip: string,
    reasons: ReadonlySet<string>,
    unblocked: readonly Cidr[],
  ): AutoBlockDecision | undefined {
    if (reasons.size < this.#o.reasons) return undefined;
    if (this.#o.lists.decide(ip).kind !== 'none') return undefined; // allowlisted or already blocked
    if (this.#o.lists.operator.has(ip)) return undefined; // never lock the operator out
    let target = autoBlockTarget(ip, this.#o.ipv6Prefix ?? 64);
    // The operator's own IPv6 network (an admin session from it): only the flagged address.
    if (target !== ip && this.#o.lists.operator.within(parseCidr(target)).length > 0) target = ip;
    if (this.#blocking.has(target)) return undefined;
    if (unblocked.length > 0) {
      const address = tryParseAddress(ip);
      if (address && unblocked.some((range) => cidrContains(range, address))) return undefined;
    }
    // Only flags seen within their lifetime: a monitor run over imported old logs raises flags
    // last seen years ago, which the next cleanup ends; they must not block anyone today.
    const since = this.#o.now() - this.#o.flagTtlMs;
    const fresh = [...reasons].filter((reason) => {
      const flag = this.#o.flags.active(ip, reason);
      return flag !== undefined && Date.parse(flag.last_seen) >= since;
    });
    if (fresh.length < this.#o.reasons) return undefined;
    return { ip, target, reasons: fresh.sort() };
  }

  /**
   * The targets unblocked within the last `durationMs`. The trail is append-only and its entries
   * are shared between commits, so only entries added since the last call are read: a storm of new
   * flags (each one audited, each one asking) otherwise read the whole week's trail per flag.
   */
  #recentUnblocks(): Cidr[] {
    const audit = this.#o.audit();
    const seen = this.#unblocks;
    // A trail that is not the one read so far plus new entries (reloaded, replaced): read it all.
    if (audit.length < seen.read || (seen.read > 0 && audit[seen.read - 1] !== seen.last)) {
      this.#unblocks = { read: 0, last: undefined, targets: [] };
    }
    const index = this.#unblocks;
    for (let i = index.read; i < audit.length; i++) {
      const entry = audit[i] as AuditEntry;
      if (entry.action !== 'unblock') continue;
      try {
        index.targets.push({ at: Date.parse(entry.at), range: parseCidr(entry.target) });
      } catch {
        // Not an address or range: an unblock's target always is one, so nothing to respect here.
      }
    }
    index.read = audit.length;
    index.last = audit.at(-1);
    const since = this.#o.now() - this.#o.durationMs;
    // Unblocks older than an auto-block's lifetime no longer count: dropped, so the index stays small.
    if (index.targets.length > 0 && (index.targets[0] as { at: number }).at < since)
      index.targets = index.targets.filter((u) => u.at >= since);
    return index.targets.map((u) => u.range);
  }

  /** Blocks every IP the plan names (unless `dryRun`), each decided again just before; returns the blocks made (or planned). */
  async run(dryRun = false): Promise<AutoBlockDecision[]> {
    const decisions = this.plan();
    if (dryRun) return decisions;
    const unblocked = this.#recentUnblocks();
    const made: AutoBlockDecision[] = [];
    for (const planned of decisions) {
      // Decided again: a live flag's auto-block or an operator may have blocked it meanwhile.
      const decision = this.#decide(planned.ip, this.#o.flags.activeReasons(planned.ip), unblocked);
      if (decision === undefined) continue;
      await this.#block(decision);
      made.push(decision);
    }
    return made;
  }

  /** Blocks `ip` if it now qualifies (called after a new flag). */
  async consider(ip: string): Promise<boolean> {
    const decision = this.#decide(ip, this.#o.flags.activeReasons(ip), this.#recentUnblocks());
    if (!decision) return false;
    await this.#block(decision);
    return true;
  }

  async #block(decision: AutoBlockDecision): Promise<void> {
    this.#blocking.add(decision.target);
    const flagged = decision.target === decision.ip ? '' : ` (flagged: ${decision.ip})`;
    try {
      await this.#o.lists.block({
        target: decision.target,
        reason: `auto-block: ${decision.reasons.join(', ')}${flagged}`,
        durationMs: this.#o.durationMs,
        actor: 'job:auto-block',
      });
    } finally {
      this.#blocking.delete(decision.target);
    }
    this.#o.logger.warn(
      { 'source.ip': decision.ip, reasons: decision.reasons },
      `auto-blocked ${decision.target}${flagged}: ${decision.reasons.join(', ')}`,
    );
  }
}
