import { describe, expect, it } from 'vitest';
import { TopCounter, topEntries } from '../../../server/store/top-counter.js';

describe('TopCounter', () => {
  it('counts exactly while the distinct keys fit', () => {
    const counter = new TopCounter(10);
    for (const key of ['/a', '/b', '/a', '/c', '/a', '/b']) counter.add(key);
    expect(counter.top(2)).toEqual([
      { key: '/a', count: 3 },
      { key: '/b', count: 2 },
    ]);
    expect(counter.approximate).toBe(false);
  });

  it('keeps heavy hitters through a flood of distinct keys in bounded memory', () => {
    const counter = new TopCounter(100);
    for (let i = 0; i < 20_000; i++) {
      counter.add(`/scan/${i}`);
      if (i % 10 === 0) counter.add('/login');
      if (i % 25 === 0) counter.add('/admin');
    }
    const top = counter.top(2);
    expect(top.map((entry) => entry.key)).toEqual(['/login', '/admin']);
    // Misra–Gries bound: undercounts by at most 2·total/capacity.
    const total = 20_000 + 2_000 + 800;
    expect(top[0]?.count).toBeGreaterThanOrEqual(2_000 - (2 * total) / 100);
    expect(top[0]?.count).toBeLessThanOrEqual(2_000);
    expect(counter.approximate).toBe(true);
  });
});

describe('topEntries', () => {
  it('returns the n largest, highest first, ties by key', () => {
    const map = new Map([
      ['c', 2],
      ['a', 2],
      ['b', 5],
      ['d', 1],
    ]);
    expect(topEntries(map, 3, (count) => count)).toEqual([
      ['b', 5],
      ['a', 2],
      ['c', 2],
    ]);
    expect(topEntries(map, 0, (count) => count)).toEqual([]);
  });
});
