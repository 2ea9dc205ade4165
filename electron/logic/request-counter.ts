const MINUTE_MS = 60_000;

/**
 * Requests in the last hour, for the tray: sixty one-minute buckets on an injected clock, so
 * counting is O(1) per request and memory stays fixed whatever the traffic.
 */
export class RequestCounter {
  readonly #now: () => number;
  readonly #buckets = new Map<number, number>();
  readonly #minutes: number;

  /** @param windowMs the window, ms (default one hour), rounded to whole minutes. */
  constructor(now: () => number, windowMs = 3_600_000) {
    this.#now = now;
    this.#minutes = Math.max(1, Math.round(windowMs / MINUTE_MS));
  }

  /** Counts one request at the current time. */
  record(): void {
    const minute = Math.floor(this.#now() / MINUTE_MS);
    this.#buckets.set(minute, (this.#buckets.get(minute) ?? 0) + 1);
    if (this.#buckets.size > this.#minutes) this.#prune(minute);
  }

  /** Requests in the window ending now. */
  count(): number {
    const minute = Math.floor(this.#now() / MINUTE_MS);
    this.#prune(minute);
    let total = 0;
    for (const value of this.#buckets.values()) total += value;
    return total;
  }

  #prune(minute: number): void {
    for (const key of this.#buckets.keys()) if (key <= minute - this.#minutes) this.#buckets.delete(key);
  }
}
