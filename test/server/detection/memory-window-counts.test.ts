import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryWindowCounts } from '../../../server/detection/memory-window-counts.js';

// Behaviour shared with the Redis-backed counts is in window-counts.test.ts; these are the
// in-process store's own: forgetting idle keys, its cap, and reusing the slots it frees.
describe('MemoryWindowCounts', () => {
  it('forgets keys with nothing left in the window, so memory follows the active clients', async () => {
    const w = new MemoryWindowCounts();
    await w.add(
      Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, hits: 1 })),
      100,
      60,
    );
    expect(w.size).toBe(1000);
    await w.add([{ key: 'k0', hits: 1 }], 159, 60);
    expect(w.size).toBe(1000);
    await w.add([{ key: 'k1', hits: 1 }], 160, 60);
    expect(w.size).toBe(2); // k0 (minute 159) and k1 (160) have a bucket inside the window
  });

  it('holds at most its cap of keys, dropping the least recently counted first', async () => {
    const w = new MemoryWindowCounts(3);
    await w.add(
      [
        { key: 'a', hits: 5 },
        { key: 'b', hits: 1 },
        { key: 'c', hits: 1 },
      ],
      100,
      60,
    );
    // 'a' counted again in a later minute: now the most recent, so 'b' is the one to go.
    expect(await w.add([{ key: 'a', hits: 1 }], 101, 60)).toEqual([6]);
    await w.add([{ key: 'd', hits: 1 }], 101, 60);
    expect(w.size).toBe(3);
    expect(
      await w.add(
        [
          { key: 'a', hits: 0 },
          { key: 'b', hits: 0 },
        ],
        101,
        60,
      ),
    ).toEqual([6, 0]);
  });

  it('refuses a cap below one', () => {
    expect(() => new MemoryWindowCounts(0)).toThrow(/cap: expected an integer ≥ 1, got 0/);
  });
});

/**
 * The obvious model: a Map of minute buckets per key, swept of buckets outside the window on every
 * add, least recently counted key (moved back on every hit) evicted past the cap.
 */
class ModelCounts {
  readonly keys = new Map<string, Map<number, number>>();
  constructor(readonly cap: number) {}

  add(batch: readonly { key: string; hits: number }[], minute: number, windowBuckets: number): number[] {
    for (const [key, buckets] of this.keys) {
      for (const bucket of buckets.keys()) if (bucket <= minute - windowBuckets) buckets.delete(bucket);
      if (buckets.size === 0) this.keys.delete(key);
    }
    return batch.map(({ key, hits }) => {
      let buckets = this.keys.get(key);
      if (buckets === undefined) {
        buckets = new Map();
        this.keys.set(key, buckets);
        if (this.keys.size > this.cap) this.keys.delete(this.keys.keys().next().value as string);
      } else {
        this.keys.delete(key);
        this.keys.set(key, buckets);
      }
      buckets.set(minute, (buckets.get(minute) ?? 0) + hits);
      return [...buckets.values()].reduce((a, b) => a + b, 0);
    });
  }
}

describe('MemoryWindowCounts against a model of per-key minute buckets', () => {
  it('answers the same sums and holds the same keys, through evictions, slot reuse, sliding and a clock stepped back', async () => {
    const batch = fc.array(fc.record({ key: fc.constantFrom(...'abcdefghij'), hits: fc.nat(5) }), {
      maxLength: 8,
    });
    // Minutes mostly move on; a negative advance is a clock stepped back.
    const step = fc.record({
      batch,
      advance: fc.integer({ min: -3, max: 4 }),
      window: fc.constantFrom(1, 2, 3, 60),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(step, { maxLength: 40 }),
        async (cap, steps) => {
          const counts = new MemoryWindowCounts(cap);
          const model = new ModelCounts(cap);
          let minute = 1000;
          for (const { batch: hits, advance, window } of steps) {
            minute += advance;
            const expected = model.add(hits, minute, window);
            expect(await counts.add(hits, minute, window)).toEqual(expected);
            expect(counts.size).toBe(model.keys.size);
          }
        },
      ),
    );
  });
});

describe('MemoryWindowCounts when the clock steps back', () => {
  it('counts a hit in a minute whose list has left the window as a new touch', async () => {
    const counts = new MemoryWindowCounts(10);
    const model = new ModelCounts(10);
    const k = [{ key: 'k', hits: 1 }];
    for (const [batch, minute] of [
      [k, 101],
      [k, 100], // stepped back a minute
      [[], 101], // minute 100 leaves a 1-minute window; k's last hit is still at 100
      [k, 100], // back at 100
      [k, 102],
      [k, 103],
    ] as const) {
      expect(await counts.add(batch, minute, 1)).toEqual(model.add(batch, minute, 1));
      expect(counts.size).toBe(model.keys.size);
    }
  });
});

describe('MemoryWindowCounts past its first column sizes', () => {
  it('keeps every sum exact for 5,000 keys over two minutes (slots and touch lists grow)', async () => {
    const w = new MemoryWindowCounts();
    const batch = Array.from({ length: 5000 }, (_, i) => ({
      key: `detect:requests:10.0.${i >> 8}.${i & 255}`,
      hits: 1 + (i % 7),
    }));
    await w.add(batch, 200, 2);
    expect(await w.add(batch, 201, 2)).toEqual(batch.map((b) => 2 * b.hits));
    expect(await w.add(batch.slice(0, 10), 202, 2)).toEqual(batch.slice(0, 10).map((b) => 2 * b.hits));
    expect(w.size).toBe(5000); // all counted at 201, still inside the window
    await w.add([], 203, 2);
    expect(w.size).toBe(10);
  });
});

describe('MemoryWindowCounts under a flood of one-off keys past its cap', () => {
  it('keeps the sums of the keys that stay while evicted keys are compacted out of a minute', async () => {
    const counts = new MemoryWindowCounts(250);
    const model = new ModelCounts(250);
    const regulars = Array.from({ length: 10 }, (_, i) => ({ key: `regular-${i}`, hits: 1 }));
    const oneOffs = (from: number) =>
      Array.from({ length: 40 }, (_, i) => ({ key: `one-off-${from + i}`, hits: 2 }));
    const both = async (batch: { key: string; hits: number }[], minute: number) =>
      expect(await counts.add(batch, minute, 2)).toEqual(model.add(batch, minute, 2));
    // Minute 1: 40 one-offs, then the regulars; 240 more one-offs evict the first 40 and fill the
    // minute's touch list, so it is compacted and the regulars' touches move; they are counted again.
    await both([...oneOffs(0), ...regulars], 1);
    for (let b = 1; b <= 6; b++) await both(oneOffs(b * 40), 1);
    await both(regulars, 1);
    await both(regulars, 2);
    await both(regulars, 3); // minute 1 leaves the window: its touches come off the right sums
    expect(counts.size).toBe(model.keys.size);
  });
});

describe('MemoryWindowCounts under an hour-long flood of one-off keys', () => {
  it('holds touches in proportion to its cap, not to the minutes the flood lasts, and keeps every sum exact', async () => {
    const cap = 1000;
    const counts = new MemoryWindowCounts(cap);
    const model = new ModelCounts(cap);
    const regular = { key: 'regular', hits: 1 };
    let next = 0;
    let most = 0;
    for (let minute = 1; minute <= 60; minute++) {
      for (let b = 0; b < 10; b++) {
        const batch = [
          regular,
          ...Array.from({ length: 500 }, () => ({ key: `one-off-${next++}`, hits: 1 })),
        ];
        const sums = await counts.add(batch, minute, 60);
        expect(sums[0]).toBe(model.add(batch, minute, 60)[0]);
        most = Math.max(most, counts.touchCapacity);
      }
    }
    expect(await counts.add([regular], 60, 60)).toEqual([601]); // every hit of the hour
    expect(counts.size).toBe(cap);
    // Touches held and stale are each bounded by the cap; each minute's list would hold up to
    // 5,000 before its evicted keys were compacted, 60 of them by the end of the hour.
    expect(most).toBeLessThanOrEqual(6 * cap);
  });
});
