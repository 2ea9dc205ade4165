/** Change times remembered beyond which the old ones are dropped (amortised: the cap doubles after a prune). */
const MIN_CAP = 10_000;
/** A change message is never this late (ms): pub/sub delivers at once or not at all. */
const KEEP_MS = 10 * 60_000;

/**
 * When the newest change known here to each (list, target) was made (epoch ms): a local change from
 * the moment it is asked for (before its write), a change from another instance once applied. A
 * message from the cluster can arrive after this instance made a newer change of its own, even
 * while that change is still being written; applied, it would undo the newer change here alone,
 * while Redis keeps the newer one. Times older than {@link KEEP_MS} are forgotten, a batch at a time.
 */
export class ChangeTimes {
  readonly #now: () => number;
  readonly #times = new Map<string, number>();
  #cap = MIN_CAP;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Records a change to `target` on `list` made at `at`; returns the time known before, for {@link forget}. */
  note(list: string, target: string, at: number): number | undefined {
    const key = `${list} ${target}`;
    const before = this.#times.get(key);
    if ((before ?? Number.NEGATIVE_INFINITY) < at) this.#times.set(key, at);
    this.#prune();
    return before;
  }

  #prune(): void {
    if (this.#times.size <= this.#cap) return;
    const cutoff = this.#now() - KEEP_MS;
    for (const [k, t] of this.#times) if (t < cutoff) this.#times.delete(k);
    this.#cap = Math.max(MIN_CAP, this.#times.size * 2);
  }

  /**
   * Takes back the note of a change made at `at` that could not be written, putting back `before`
   * (what {@link note} returned), unless a newer change was noted since.
   */
  forget(list: string, target: string, at: number, before: number | undefined): void {
    const key = `${list} ${target}`;
    if (this.#times.get(key) !== at) return;
    if (before === undefined) this.#times.delete(key);
    else this.#times.set(key, before);
  }

  /** True when a change to `target` on `list` newer than `at` is known here. */
  supersedes(list: string, target: string, at: number): boolean {
    return (this.#times.get(`${list} ${target}`) ?? Number.NEGATIVE_INFINITY) > at;
  }
}
