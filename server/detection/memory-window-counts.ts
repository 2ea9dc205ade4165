import { LIVE_KEYS_CAP, type WindowCounts, type WindowHit } from './window-counts.js';

/** Touches (one key's hits in one minute) of one minute: parallel columns, grown by doubling. */
interface MinuteTouches {
  length: number;
  slots: Uint32Array;
  /** The slot's generation when touched: a slot freed and reused since is not the same key. */
  generations: Uint32Array;
  hits: Uint32Array;
}

const INITIAL_SLOTS = 1024;
const INITIAL_TOUCHES = 256;
/** End of the recency list. */
const NONE = -1;

/**
 * Window counts in this process, for the embedded (single-instance) appliance: the same sums as
 * {@link RedisWindowCounts} without the command and promise cost of ioredis-mock (about a
 * twentieth of the proxy's CPU per request at full load, README "Performance"), in compact columns
 * rather than a Map of minute buckets per key (about 260 bytes a key, 29 MB at 100k client IPs,
 * issue 8). Each key holds a slot: its window sum in a typed array; each minute keeps the list of
 * slots it touched with their hits, and when the minute leaves the window those hits are taken off
 * the sums. A key with no touch left in the window is dropped, and at most `cap` keys are
 * held: beyond it the least recently counted key goes (a recency list over the slots, O(1) per
 * hit; taking the first key of a `Map` that keys are deleted from skips every deleted entry, which
 * cost 140 µs a new key at the cap). The touches a dropped key
 * leaves in past minutes are compacted away once they outnumber the live ones by the cap, so a
 * flood of one-off clients holds memory in proportion to the keys held, not to the minutes it lasts.
 */
export class MemoryWindowCounts implements WindowCounts {
  /** Key → slot. */
  readonly #slots = new Map<string, number>();
  readonly #cap: number;
  /** Per slot: the key it holds, its sum, generation, and the minute and touch index of its last hit. */
  #keys: (string | undefined)[] = [];
  #sums = new Float64Array(INITIAL_SLOTS);
  #generations = new Uint32Array(INITIAL_SLOTS);
  #lastMinutes = new Float64Array(INITIAL_SLOTS);
  #lastTouches = new Uint32Array(INITIAL_SLOTS);
  /** Per slot: how many minutes' lists hold a touch of its key. */
  #touchCounts = new Uint32Array(INITIAL_SLOTS);
  /** The recency list over held slots, least recently counted at `#oldest`. */
  #older = new Int32Array(INITIAL_SLOTS);
  #newer = new Int32Array(INITIAL_SLOTS);
  #oldest = NONE;
  #newest = NONE;
  readonly #free: number[] = [];
  #used = 0;
  /** Minute → its touches, for the minutes still inside the longest window asked for. */
  readonly #minutes = new Map<number, MinuteTouches>();
  /** Touches in the minutes' lists of keys held, and of keys dropped since. */
  #liveTouches = 0;
  #staleTouches = 0;

  /** @param cap keys held at most (default {@link LIVE_KEYS_CAP}); throws RangeError below 1. */
  constructor(cap = LIVE_KEYS_CAP) {
    if (!Number.isInteger(cap) || cap < 1)
      throw new RangeError(`window counts cap: expected an integer ≥ 1, got ${cap}`);
    this.#cap = cap;
  }

  add(batch: readonly WindowHit[], minute: number, windowBuckets: number): Promise<number[]> {
    this.#expire(minute - windowBuckets);
    let touches = this.#minutes.get(minute);
    if (touches === undefined) {
      touches = newTouches(INITIAL_TOUCHES);
      this.#minutes.set(minute, touches);
    }
    const sums = new Array<number>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const { key, hits } = batch[i] as WindowHit;
      const slot = this.#slots.get(key) ?? this.#claim(key);
      this.#toNewest(slot);
      if (this.#lastMinutes[slot] === minute) {
        const touch = this.#lastTouches[slot] as number;
        touches.hits[touch] = (touches.hits[touch] as number) + hits;
      } else {
        this.#lastMinutes[slot] = minute;
        this.#touchCounts[slot] = (this.#touchCounts[slot] as number) + 1;
        this.#liveTouches++;
        touches = this.#push(minute, touches, slot, hits);
      }
      sums[i] = this.#sums[slot] = (this.#sums[slot] as number) + hits;
    }
    if (this.#staleTouches > this.#liveTouches + this.#cap) this.#compactAll();
    return Promise.resolve(sums);
  }

  /** Keys held (for tests and memory checks). */
  get size(): number {
    return this.#slots.size;
  }

  /** Touches the minutes' lists have room for, held or stale (for tests and memory checks). */
  get touchCapacity(): number {
    let room = 0;
    for (const list of this.#minutes.values()) room += list.slots.length;
    return room;
  }

  /** A free slot for `key`, evicting the least recently counted key when at the cap. */
  #claim(key: string): number {
    if (this.#slots.size >= this.#cap) this.#release(this.#oldest);
    const slot = this.#free.pop() ?? this.#used++;
    if (slot >= this.#sums.length) this.#grow();
    this.#keys[slot] = key;
    this.#sums[slot] = 0;
    this.#lastMinutes[slot] = Number.NaN;
    this.#slots.set(key, slot);
    this.#link(slot);
    return slot;
  }

  /** Drops the key in `slot`; its touches left in the minutes' lists become stale. */
  #release(slot: number): void {
    this.#slots.delete(this.#keys[slot] as string);
    this.#keys[slot] = undefined;
    this.#generations[slot] = ((this.#generations[slot] as number) + 1) >>> 0;
    const held = this.#touchCounts[slot] as number;
    this.#liveTouches -= held;
    this.#staleTouches += held;
    this.#touchCounts[slot] = 0;
    this.#unlink(slot);
    this.#free.push(slot);
  }

  /** Takes the hits of every minute at or before `last` off the sums; drops keys with no touch left. */
  #expire(last: number): void {
    for (const [minute, touches] of this.#minutes) {
      if (minute > last) continue;
      this.#minutes.delete(minute);
      for (let t = 0; t < touches.length; t++) {
        const slot = touches.slots[t] as number;
        if (this.#generations[slot] !== touches.generations[t]) {
          this.#staleTouches--; // dropped since
          continue;
        }
        this.#touchCounts[slot] = (this.#touchCounts[slot] as number) - 1;
        this.#liveTouches--;
        this.#sums[slot] = (this.#sums[slot] as number) - (touches.hits[t] as number);
        if (this.#touchCounts[slot] === 0) this.#release(slot);
        // A clock stepped back can leave a key's last hit in a minute older than its newest touch:
        // that minute's list is gone now, so a later hit in it needs a new touch.
        else if (this.#lastMinutes[slot] === minute) this.#lastMinutes[slot] = Number.NaN;
      }
    }
  }

  /**
   * Appends one touch to `minute`'s list. A full list first drops the touches of keys dropped
   * since, so a flood of one-off keys past the cap leaves each minute about as many touches as keys
   * it holds; only a list still over half full doubles its columns. Returns the list (a new one
   * after doubling).
   */
  #push(minute: number, touches: MinuteTouches, slot: number, hits: number): MinuteTouches {
    let list = touches;
    if (list.length === list.slots.length) {
      this.#staleTouches -= compact(list, minute, this.#generations, this.#lastMinutes, this.#lastTouches);
      if (list.length * 2 > list.slots.length) {
        list = resized(list, list.slots.length * 2);
        this.#minutes.set(minute, list);
      }
    }
    this.#lastTouches[slot] = list.length;
    list.slots[list.length] = slot;
    list.generations[list.length] = this.#generations[slot] as number;
    list.hits[list.length] = hits;
    list.length++;
    return list;
  }

  /** Drops every stale touch; a minute left with none goes, a list at most half full shrinks. */
  #compactAll(): void {
    for (const [minute, list] of this.#minutes) {
      compact(list, minute, this.#generations, this.#lastMinutes, this.#lastTouches);
      if (list.length === 0) this.#minutes.delete(minute);
      else if (list.length * 2 <= list.slots.length) this.#minutes.set(minute, resized(list, list.length));
    }
    this.#staleTouches = 0;
  }

  #toNewest(slot: number): void {
    if (slot === this.#newest) return;
    this.#unlink(slot);
    this.#link(slot);
  }

  /** Puts `slot` at the newest end of the recency list. */
  #link(slot: number): void {
    this.#older[slot] = this.#newest;
    this.#newer[slot] = NONE;
    if (this.#newest === NONE) this.#oldest = slot;
    else this.#newer[this.#newest] = slot;
    this.#newest = slot;
  }

  #unlink(slot: number): void {
    const older = this.#older[slot] as number;
    const newer = this.#newer[slot] as number;
    if (older === NONE) this.#oldest = newer;
    else this.#newer[older] = newer;
    if (newer === NONE) this.#newest = older;
    else this.#older[newer] = older;
  }

  #grow(): void {
    const size = this.#sums.length * 2;
    this.#sums = grown(this.#sums, new Float64Array(size));
    this.#generations = grown(this.#generations, new Uint32Array(size));
    this.#lastMinutes = grown(this.#lastMinutes, new Float64Array(size));
    this.#lastTouches = grown(this.#lastTouches, new Uint32Array(size));
    this.#touchCounts = grown(this.#touchCounts, new Uint32Array(size));
    this.#older = grown(this.#older, new Int32Array(size));
    this.#newer = grown(this.#newer, new Int32Array(size));
  }
}

function newTouches(capacity: number): MinuteTouches {
  return {
    length: 0,
    slots: new Uint32Array(capacity),
    generations: new Uint32Array(capacity),
    hits: new Uint32Array(capacity),
  };
}

/** A copy of `list` with room for `capacity` touches (at least its length). */
function resized(list: MinuteTouches, capacity: number): MinuteTouches {
  const copy = newTouches(capacity);
  copy.length = list.length;
  copy.slots.set(list.slots.subarray(0, list.length));
  copy.generations.set(list.generations.subarray(0, list.length));
  copy.hits.set(list.hits.subarray(0, list.length));
  return copy;
}

/**
 * Drops the touches of `minute`'s list whose slot has been dropped since (its generation moved on),
 * keeping order, and re-points the kept slots whose last hit is in this minute. Returns how many
 * it dropped.
 */
function compact(
  list: MinuteTouches,
  minute: number,
  live: Uint32Array,
  lastMinutes: Float64Array,
  lastTouches: Uint32Array,
): number {
  let kept = 0;
  for (let t = 0; t < list.length; t++) {
    const slot = list.slots[t] as number;
    const generation = list.generations[t] as number;
    if (live[slot] !== generation) continue;
    list.slots[kept] = slot;
    list.generations[kept] = generation;
    list.hits[kept] = list.hits[t] as number;
    if (lastMinutes[slot] === minute) lastTouches[slot] = kept;
    kept++;
  }
  const dropped = list.length - kept;
  list.length = kept;
  return dropped;
}

function grown<T extends Uint32Array | Float64Array | Int32Array>(from: T, into: T): T {
  into.set(from);
  return into;
}
