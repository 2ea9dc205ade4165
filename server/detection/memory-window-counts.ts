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

/**
 * Window counts in this process, for the embedded (single-instance) appliance: the same sums as
 * {@link RedisWindowCounts} without the command and promise cost of ioredis-mock (about a
 * twentieth of the proxy's CPU per request at full load, README "Performance"), in compact columns
 * rather than a Map of minute buckets per key (about 260 bytes a key, 29 MB at 100k client IPs,
 * issue 8). Each key holds a slot: its window sum in a typed array; each minute keeps the list of
 * slots it touched with their hits, and when the minute leaves the window those hits are taken off
 * the sums. A key whose sum has nothing left in the window is dropped, and at most `cap` keys are
 * held: beyond it the least recently counted key goes (Map order, refreshed on a key's first hit
 * of each minute).
 */
export class MemoryWindowCounts implements WindowCounts {
  /** Key → slot; insertion order is the order of each key's latest first-hit-of-a-minute. */
  readonly #slots = new Map<string, number>();
  readonly #cap: number;
  /** Per slot: the key it holds, its sum, generation, and the minute and touch index of its last hit. */
  #keys: (string | undefined)[] = [];
  #sums = new Float64Array(INITIAL_SLOTS);
  #generations = new Uint32Array(INITIAL_SLOTS);
  #lastMinutes = new Float64Array(INITIAL_SLOTS);
  #lastTouches = new Uint32Array(INITIAL_SLOTS);
  readonly #free: number[] = [];
  #used = 0;
  /** Minute → its touches, for the minutes still inside the longest window asked for. */
  readonly #minutes = new Map<number, MinuteTouches>();

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
      let slot = this.#slots.get(key);
      if (slot === undefined) {
        slot = this.#claim(key);
      } else if (this.#lastMinutes[slot] !== minute) {
        // First hit this minute: move the key to the back, so the front holds the least recently counted.
        this.#slots.delete(key);
        this.#slots.set(key, slot);
      }
      if (this.#lastMinutes[slot] === minute) {
        const touch = this.#lastTouches[slot] as number;
        touches.hits[touch] = (touches.hits[touch] as number) + hits;
      } else {
        this.#lastMinutes[slot] = minute;
        touches = pushTouch(this.#minutes, minute, touches, this.#generations, this.#lastTouches, slot, hits);
      }
      sums[i] = this.#sums[slot] = (this.#sums[slot] as number) + hits;
    }
    return Promise.resolve(sums);
  }

  /** Keys held (for tests and memory checks). */
  get size(): number {
    return this.#slots.size;
  }

  /** A free slot for `key`, evicting the least recently counted key when at the cap. */
  #claim(key: string): number {
    if (this.#slots.size >= this.#cap) {
      for (const [oldest, slot] of this.#slots) {
        this.#release(oldest, slot);
        break;
      }
    }
    const slot = this.#free.pop() ?? this.#used++;
    if (slot >= this.#sums.length) this.#grow();
    this.#keys[slot] = key;
    this.#sums[slot] = 0;
    this.#lastMinutes[slot] = Number.NaN;
    this.#slots.set(key, slot);
    return slot;
  }

  #release(key: string, slot: number): void {
    this.#slots.delete(key);
    this.#keys[slot] = undefined;
    this.#generations[slot] = ((this.#generations[slot] as number) + 1) >>> 0;
    this.#free.push(slot);
  }

  /** Takes the hits of every minute at or before `last` off the sums; drops keys left at zero. */
  #expire(last: number): void {
    for (const [minute, touches] of this.#minutes) {
      if (minute > last) continue;
      this.#minutes.delete(minute);
      for (let t = 0; t < touches.length; t++) {
        const slot = touches.slots[t] as number;
        if (this.#generations[slot] !== touches.generations[t]) continue; // evicted since
        const sum = (this.#sums[slot] as number) - (touches.hits[t] as number);
        this.#sums[slot] = sum;
        if (sum <= 0 && (this.#lastMinutes[slot] as number) <= minute)
          this.#release(this.#keys[slot] as string, slot);
      }
    }
  }

  #grow(): void {
    const size = this.#sums.length * 2;
    this.#sums = grown(this.#sums, new Float64Array(size));
    this.#generations = grown(this.#generations, new Uint32Array(size));
    this.#lastMinutes = grown(this.#lastMinutes, new Float64Array(size));
    this.#lastTouches = grown(this.#lastTouches, new Uint32Array(size));
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

/**
 * Appends one touch to `minute`'s list. A full list first drops the touches of keys evicted since
 * (their slot's generation moved on), so a flood of one-off keys past the cap leaves each minute
 * about as many touches as keys it holds; only a list still over half full doubles its columns.
 * Returns the list (a new one after doubling).
 */
function pushTouch(
  minutes: Map<number, MinuteTouches>,
  minute: number,
  touches: MinuteTouches,
  live: Uint32Array,
  lastTouches: Uint32Array,
  slot: number,
  hits: number,
): MinuteTouches {
  let list = touches;
  if (list.length === list.slots.length) {
    compact(list, live, lastTouches);
    if (list.length * 2 > list.slots.length) list = doubled(minutes, minute, list);
  }
  lastTouches[slot] = list.length;
  list.slots[list.length] = slot;
  list.generations[list.length] = live[slot] as number;
  list.hits[list.length] = hits;
  list.length++;
  return list;
}

/** A copy of `list` with twice the room, put in its place in `minutes`. */
function doubled(minutes: Map<number, MinuteTouches>, minute: number, list: MinuteTouches): MinuteTouches {
  const bigger = newTouches(list.slots.length * 2);
  bigger.length = list.length;
  bigger.slots.set(list.slots.subarray(0, list.length));
  bigger.generations.set(list.generations.subarray(0, list.length));
  bigger.hits.set(list.hits.subarray(0, list.length));
  minutes.set(minute, bigger);
  return bigger;
}

/** Drops the touches whose slot has been evicted since, keeping order; re-points kept slots' last touch. */
function compact(list: MinuteTouches, live: Uint32Array, lastTouches: Uint32Array): void {
  let kept = 0;
  for (let t = 0; t < list.length; t++) {
    const slot = list.slots[t] as number;
    const generation = list.generations[t] as number;
    if (live[slot] !== generation) continue;
    list.slots[kept] = slot;
    list.generations[kept] = generation;
    list.hits[kept] = list.hits[t] as number;
    lastTouches[slot] = kept;
    kept++;
  }
  list.length = kept;
}

function grown<T extends Uint32Array | Float64Array>(from: T, into: T): T {
  into.set(from);
  return into;
}
