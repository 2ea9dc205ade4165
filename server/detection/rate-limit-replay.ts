import type { RateLimitRuleConfig } from '../config.js';
import { compilePathPattern, normalisePath, type PathPattern, rateLimitSubject } from '../net/index.js';
import type { AccessRecord } from '../store/index.js';

interface ReplayRule {
  name: string;
  patterns: PathPattern[];
  methods: Set<string>;
  max: number;
  periodMs: number;
  /**
   * Per client (an IPv4 address or an IPv6 network, as the proxy counts them): timestamps (ms) of
   * the requests the limit let through in the last period, oldest first.
   */
  windows: Map<string, number[]>;
  /** Per IP: requests that would have been answered 429. */
  limited: Map<string, number>;
}

/** One IP a rule would have limited, and how many of its requests would have been answered 429. */
export interface ReplayedLimit {
  ip: string;
  rule: string;
  requests: number;
}

/**
 * Replays rate-limit rules over request-log records in time order, as the proxy's koa-ratelimit
 * limiter (async-ratelimiter's sliding-window log) would have enforced them: a request a rule covers
 * is limited when `max` requests from the same client (IPv4 address, or IPv6 network of `ipv6Prefix`
 * bits: see {@link rateLimitSubject}) already passed within the last `period`; a limited
 * request is not counted toward the window. Only the anonymous (per IP) budget is replayed: the log
 * holds no session, so an authenticated client is counted as anonymous (an upper bound).
 * Memory: at most `max` timestamps per IP that hit a covered path within the last period.
 */
export class RateLimitReplay {
  readonly #rules: ReplayRule[];
  readonly #ipv6Prefix: number;

  constructor(rules: readonly RateLimitRuleConfig[], ipv6Prefix = 64) {
    this.#ipv6Prefix = ipv6Prefix;
    this.#rules = rules.map((rule) => ({
      name: rule.name,
      patterns: rule.paths.map(compilePathPattern),
      methods: new Set(rule.methods),
      max: rule.anonymous.max,
      periodMs: rule.anonymous.period,
      windows: new Map(),
      limited: new Map(),
    }));
  }

  /** Counts one record (ms timestamp `at`); the first rule that covers it decides, as in the proxy. */
  add(record: AccessRecord, at: number): void {
    const method = record.http.request.method.toUpperCase();
    let path: string | null = null;
    for (const rule of this.#rules) {
      if (!rule.methods.has(method)) continue;
      path ??= normalisePath(record.url.path);
      if (!rule.patterns.some((p) => p.matches(path as string))) continue;
      const ip = record.source.ip;
      const client = rateLimitSubject(ip, this.#ipv6Prefix);
      const kept = (rule.windows.get(client) ?? []).filter((t) => t > at - rule.periodMs);
      if (kept.length >= rule.max) rule.limited.set(ip, (rule.limited.get(ip) ?? 0) + 1);
      else kept.push(at);
      rule.windows.set(client, kept);
      return;
    }
  }

  /** Forgets clients whose last counted request is older than every rule's period before `at` (bounds memory). */
  prune(at: number): void {
    for (const rule of this.#rules) {
      for (const [client, times] of rule.windows) {
        if ((times.at(-1) ?? 0) <= at - rule.periodMs) rule.windows.delete(client);
      }
    }
  }

  /** Every (IP, rule) that would have been limited, most limited requests first. */
  limited(): ReplayedLimit[] {
    const out: ReplayedLimit[] = [];
    for (const rule of this.#rules) {
      for (const [ip, requests] of rule.limited) out.push({ ip, rule: rule.name, requests });
    }
    return out.sort((a, b) => b.requests - a.requests || a.ip.localeCompare(b.ip));
  }
}
