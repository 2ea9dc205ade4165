/** A new flag as the policy sees it. */
export interface FlagNotice {
  ip: string;
  reason: string;
}

export interface NotificationPolicyOptions {
  /** Clock, ms since epoch. */
  now: () => number;
  /** After a notification about an IP, further flags of that IP stay quiet this long (ms); default 10 min. */
  perIpCooldownMs?: number;
  /** Notifications allowed in a burst, and per `refillMs`; default 5. */
  burst?: number;
  /** The time in which the whole burst refills (ms); default one minute: at most 5 a minute. */
  refillMs?: number;
}

/** What to do with one new flag. */
export type NoticeDecision =
  /** Show a notification for this IP now. */
  | { kind: 'notify' }
  /** This IP was notified recently; the operator already knows (it shows in the UI). */
  | { kind: 'cooldown' }
  /** Over the overall rate: counted into the next summary. */
  | { kind: 'deferred' }
  /** The IP is already blocked or allowlisted: no decision needed. */
  | { kind: 'ignored' };

/**
 * Decides which new flags become desktop notifications, so that an attack does not produce
 * hundreds: only new flags of IPs that are neither blocked nor allowlisted; one per IP per cooldown
 * (default 10 min); and a token bucket over all IPs (default 5 a minute). IPs over the rate are
 * collected and announced later in one summary ("12 more IPs flagged"), see {@link takeSummary}.
 */
export class NotificationPolicy {
  readonly #now: () => number;
  readonly #cooldownMs: number;
  readonly #burst: number;
  readonly #msPerToken: number;
  #tokens: number;
  #refilledAt: number;
  readonly #lastNotified = new Map<string, number>();
  readonly #deferred = new Set<string>();

  constructor(options: NotificationPolicyOptions) {
    this.#now = options.now;
    this.#cooldownMs = positive('perIpCooldownMs', options.perIpCooldownMs ?? 600_000);
    this.#burst = positive('burst', options.burst ?? 5);
    this.#msPerToken = positive('refillMs', options.refillMs ?? 60_000) / this.#burst;
    this.#tokens = this.#burst;
    this.#refilledAt = this.#now();
  }

  /**
   * Decides about one new flag. `status` says whether the IP is already blocked or allowlisted.
   * A `notify` decision uses up a token and starts the IP's cooldown.
   */
  offer(flag: FlagNotice, status: { blocked: boolean; allowlisted: boolean }): NoticeDecision {
    if (status.blocked || status.allowlisted) return { kind: 'ignored' };
    const now = this.#now();
    this.#forgetOld(now);
    const last = this.#lastNotified.get(flag.ip);
    if (last !== undefined && now - last < this.#cooldownMs) return { kind: 'cooldown' };
    if (!this.#take(now)) {
      this.#deferred.add(flag.ip);
      return { kind: 'deferred' };
    }
    this.#deferred.delete(flag.ip);
    this.#lastNotified.set(flag.ip, now);
    return { kind: 'notify' };
  }

  /**
   * The IPs deferred since the last summary, once a token is available again; null when there is
   * nothing to announce or still no token. Call it on a timer (every few seconds). The IPs join the
   * cooldown: their later flags stay quiet like those of a notified IP.
   */
  takeSummary(): { count: number; ips: string[] } | null {
    if (this.#deferred.size === 0) return null;
    const now = this.#now();
    if (!this.#take(now)) return null;
    const ips = [...this.#deferred];
    this.#deferred.clear();
    for (const ip of ips) this.#lastNotified.set(ip, now);
    return { count: ips.length, ips };
  }

  #take(now: number): boolean {
    const earned = Math.floor((now - this.#refilledAt) / this.#msPerToken);
    if (earned > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + earned);
      this.#refilledAt = this.#tokens === this.#burst ? now : this.#refilledAt + earned * this.#msPerToken;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Keeps the cooldown map bounded during a long attack. */
  #forgetOld(now: number): void {
    if (this.#lastNotified.size < 10_000) return;
    for (const [ip, at] of this.#lastNotified)
      if (now - at >= this.#cooldownMs) this.#lastNotified.delete(ip);
  }
}

/** Words for the reason codes (DESIGN.md "Names"), for notification bodies. */
const REASON_LABELS: Record<string, string> = {
  high_volume: 'high request volume',
  brute_force: 'brute-force volume',
  sensitive_paths: 'probing sensitive paths',
  failed_logins: 'failed logins',
  admin_access: 'admin access attempts',
  ml_outlier: 'statistical outlier',
};

/** Title and body of the notification for a newly flagged IP with its active reasons. */
export function flagNotificationText(
  ip: string,
  reasons: readonly string[],
): { title: string; body: string } {
  const words = [...new Set(reasons)].map((reason) => REASON_LABELS[reason] ?? reason);
  return {
    title: `IP flagged: ${ip}`,
    body: words.length > 0 ? `Why: ${words.join(', ')}.` : 'Open ipwarden to see why.',
  };
}

/** Title and body of the summary notification for IPs held back by the rate limit. */
export function summaryNotificationText(count: number): { title: string; body: string } {
  return {
    title: `${count} more IP${count === 1 ? '' : 's'} flagged`,
    body: 'Notifications were held back so an attack does not flood you. Open ipwarden to review them.',
  };
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}
