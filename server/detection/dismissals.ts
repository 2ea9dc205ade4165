import type { AuditEntry } from '../store/index.js';
import { flagKey } from './pending-refreshes.js';

/**
 * When each (ip, reason) was last dismissed by an operator, so a dismissed flag is not raised again
 * from the traffic that was dismissed: evidence seen before the dismissal, or within `quietMs` (the
 * detection window, 1 h) after it, when the window's count still holds the dismissed requests. A
 * monitor run over the same hours, a live count that stays over the threshold, or another
 * instance's late refresh each raised it again at once. Built from the audit trail on first use,
 * then kept up to date by {@link note}.
 */
export class Dismissals {
  readonly #audit: () => readonly AuditEntry[];
  #quietMs: number;
  #last: Map<string, number> | null = null;

  constructor(audit: () => readonly AuditEntry[], quietMs: number) {
    this.#audit = audit;
    this.#quietMs = quietMs;
  }

  /** Changes the quiet time after a dismissal (ms; the detection window changed). */
  setQuiet(quietMs: number): void {
    this.#quietMs = quietMs;
  }

  /** Records a dismissal of (ip, reason) at `atMs` (epoch ms). */
  note(ip: string, reason: string, atMs: number): void {
    const last = this.#index();
    const key = flagKey(ip, reason);
    if ((last.get(key) ?? 0) < atMs) last.set(key, atMs);
  }

  /** True when evidence for (ip, reason) seen at `seenAtMs` is the dismissed traffic. */
  quiets(ip: string, reason: string, seenAtMs: number): boolean {
    const at = this.#index().get(flagKey(ip, reason));
    return at !== undefined && seenAtMs < at + this.#quietMs;
  }

  #index(): Map<string, number> {
    if (this.#last === null) {
      this.#last = new Map();
      for (const entry of this.#audit()) {
        if (entry.action !== 'dismiss' || entry.reason === undefined) continue;
        const key = flagKey(entry.target, entry.reason);
        this.#last.set(key, Math.max(this.#last.get(key) ?? 0, Date.parse(entry.at)));
      }
    }
    return this.#last;
  }
}
