import { describe, expect, it } from 'vitest';
import { DistinctCounter } from '../../../server/store/distinct-counter.js';
import { IP_CAPACITY, RequestStatsAccumulator } from '../../../server/store/request-stats.js';
import { makeRecord } from './request-log-fixtures.js';

const ip = (i: number) => `${11 + ((i >>> 16) % 200)}.${(i >>> 8) & 255}.${i & 255}.7`;

describe('DistinctCounter', () => {
  it.each([10, 1000, 100_000, 500_000])('estimates %i distinct IPs within 3%, repeats ignored', (n) => {
    const counter = new DistinctCounter();
    for (let i = 0; i < n; i++) {
      counter.add(ip(i));
      counter.add(ip(i));
    }
    expect(Math.abs(counter.count() - n) / n).toBeLessThan(0.03);
  });

  it('merges to the size of the union, not the sum', () => {
    const a = new DistinctCounter();
    const b = new DistinctCounter();
    for (let i = 0; i < 40_000; i++) a.add(ip(i));
    for (let i = 20_000; i < 60_000; i++) b.add(ip(i));
    a.merge(b);
    expect(Math.abs(a.count() - 60_000) / 60_000).toBeLessThan(0.03);
  });
});

describe('RequestStatsAccumulator IP cap', () => {
  const at = '2026-01-05T10:00:00.000Z';
  const range = { since: new Date('2026-01-05T10:00:00Z'), until: new Date('2026-01-05T11:00:00Z') };

  it('stays exact below the cap', () => {
    const stats = new RequestStatsAccumulator(10);
    for (let i = 0; i < 100; i++) stats.add(makeRecord({ at, ip: ip(i), country: 'DE' }));
    const result = stats.result(range, 10);
    expect(result.uniqueIps).toBe(100);
    expect(result.approximate).toBe(false);
  });

  it('holds at most the cap of IPs yet keeps the heavy hitters, their countries and a close distinct count', () => {
    const stats = new RequestStatsAccumulator(10);
    const n = IP_CAPACITY * 20;
    let mostCountries = 0;
    for (let i = 0; i < n; i++) {
      stats.add(makeRecord({ at, ip: ip(i), country: 'FR' }));
      mostCountries = Math.max(mostCountries, stats.ipCountriesHeld);
      if (i % 10 === 0) stats.add(makeRecord({ at, ip: '203.0.113.66', country: 'GB' }));
      if (i % 25 === 0) stats.add(makeRecord({ at, ip: '203.0.113.77', country: 'JP' }));
    }
    const other = new RequestStatsAccumulator(10);
    for (let i = 0; i < 50; i++) other.add(makeRecord({ at, ip: '203.0.113.77', country: 'JP' }));
    stats.merge(other);
    const result = stats.result(range, 10);
    expect(mostCountries).toBeLessThanOrEqual(IP_CAPACITY + 1); // a country per IP held, no more
    expect(stats.ipCountriesHeld).toBeLessThanOrEqual(IP_CAPACITY + 1);
    expect(result.approximate).toBe(true);
    expect(Math.abs(result.uniqueIps - (n + 2)) / n).toBeLessThan(0.03);
    expect(result.topIps.slice(0, 2).map((e) => [e.ip, e.country])).toEqual([
      ['203.0.113.66', 'GB'],
      ['203.0.113.77', 'JP'],
    ]);
    // Misra–Gries: counts underestimate by at most 2·total/capacity.
    const total = result.total;
    expect(result.topIps[0]?.count).toBeGreaterThanOrEqual(n / 10 - (2 * total) / IP_CAPACITY);
    expect(result.topIps[0]?.count).toBeLessThanOrEqual(n / 10);
  });
});
