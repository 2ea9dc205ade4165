import type { AccessRecord } from '../store/index.js';

/** One client's feature vector for the Isolation Forest; the order is `FEATURE_NAMES` in window-evaluator.ts. */
export interface IpFeatures {
  ip: string;
  requestCount: number;
  /**
   * [request count, distinct paths / requests, share of status ≥ 400, share of sensitive paths,
   * mean gap between requests in seconds (0 for one request), distinct user agents].
   *
   * Raw values on purpose: an Isolation Forest draws each split uniformly between the node's min
   * and max of one feature, so rescaling a feature changes nothing and standardising is pointless.
   * A non-linear squash such as log1p would change the result: it would pull a client with 10×
   * the usual volume back toward the crowd, which is the client the monitor wants to isolate.
   */
  vector: number[];
}

/** Distinct paths (user agents) remembered per IP; each new one beyond this counts as distinct unseen. */
export const MAX_TRACKED_PATHS = 1000;
export const MAX_TRACKED_USER_AGENTS = 100;

interface IpState {
  requests: number;
  paths: DistinctCounter;
  userAgents: DistinctCounter;
  errors: number;
  sensitive: number;
  timed: number;
  first: number;
  last: number;
}

/**
 * Accumulates per-IP features over one window of access records, one record at a time, so the
 * monitor can stream the request log. Memory per IP is a few counters plus two capped sets of
 * 31-bit string hashes: the path strings themselves are not kept.
 */
export class IpFeatureAccumulator {
  readonly #ips = new Map<string, IpState>();

  /** Counts one request. `isSensitivePath` is the configured sensitive-path list (rules.isSensitive). */
  add(record: AccessRecord, isSensitivePath: (path: string) => boolean): void {
    const ip = record.source.ip;
    let state = this.#ips.get(ip);
    if (!state) {
      state = {
        requests: 0,
        paths: new DistinctCounter(MAX_TRACKED_PATHS),
        userAgents: new DistinctCounter(MAX_TRACKED_USER_AGENTS),
        errors: 0,
        sensitive: 0,
        timed: 0,
        first: Number.POSITIVE_INFINITY,
        last: Number.NEGATIVE_INFINITY,
      };
      this.#ips.set(ip, state);
    }
    state.requests++;
    state.paths.add(record.url.path);
    // A request without a User-Agent adds none: a client that never sends one scores 0 here.
    const ua = record.user_agent?.original;
    if (ua !== undefined) state.userAgents.add(ua);
    if (record.http.response.status_code >= 400) state.errors++;
    if (isSensitivePath(record.url.path)) state.sensitive++;
    const at = Date.parse(record['@timestamp']);
    if (Number.isFinite(at)) {
      state.timed++;
      if (at < state.first) state.first = at;
      if (at > state.last) state.last = at;
    }
  }

  /** One row per IP seen, in first-seen order. */
  features(): IpFeatures[] {
    const rows: IpFeatures[] = [];
    for (const [ip, s] of this.#ips) {
      // The mean of consecutive gaps is the span over (n − 1), whatever order the records came in.
      const meanGapSeconds = s.timed > 1 ? (s.last - s.first) / (s.timed - 1) / 1000 : 0;
      rows.push({
        ip,
        requestCount: s.requests,
        vector: [
          s.requests,
          s.paths.count / s.requests,
          s.errors / s.requests,
          s.sensitive / s.requests,
          meanGapSeconds,
          s.userAgents.count,
        ],
      });
    }
    return rows;
  }
}

/**
 * Counts distinct strings by their 31-bit FNV-1a hash (small integers in a Set, not the strings).
 * After `cap` hashes, any string not among them counts as new. A hash collision, about k²/2³² for
 * k strings, undercounts by one: harmless for a ratio feature.
 */
class DistinctCounter {
  readonly #seen = new Set<number>();
  readonly #cap: number;
  #overflow = 0;

  constructor(cap: number) {
    this.#cap = cap;
  }

  get count(): number {
    return this.#seen.size + this.#overflow;
  }

  add(value: string): void {
    const hash = fnv1a31(value);
    if (this.#seen.has(hash)) return;
    if (this.#seen.size < this.#cap) this.#seen.add(hash);
    else this.#overflow++;
  }
}

/** FNV-1a over UTF-16 code units, shifted into V8's small-integer range. */
function fnv1a31(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >> 1;
}
