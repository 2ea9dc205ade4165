import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TTL_MS, openGeoip } from '../../geoip/index.js';
import { type Fixtures, writeFixtures } from './helpers/fixtures.js';

let fixtures: Fixtures;
beforeAll(() => {
  fixtures = writeFixtures();
});
afterAll(() => fixtures.remove());

function fakeClock(start = 0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('the lookup cache', () => {
  it('answers a repeated address from the cache', async () => {
    const geo = await openGeoip({ file: fixtures.nestedCity });
    const first = geo.lookup('81.2.69.142');
    expect(geo.cacheStats()).toEqual({ size: 1, hits: 0, misses: 1 });
    expect(geo.lookup('81.2.69.142')).toEqual(first);
    expect(geo.cacheStats()).toEqual({ size: 1, hits: 1, misses: 1 });
  });

  it('shares one entry between an IPv4 address and its IPv4-mapped IPv6 form', async () => {
    const geo = await openGeoip({ file: fixtures.nestedCity });
    geo.lookup('81.2.69.142');
    geo.lookup('::ffff:81.2.69.142');
    expect(geo.cacheStats()).toEqual({ size: 1, hits: 1, misses: 1 });
  });

  it('does not mistake a malformed mapped form of a cached IPv6 address for it', async () => {
    const geo = await openGeoip({ file: fixtures.nestedCity });
    expect(geo.lookup('2a00:23c0::1')?.country_iso_code).toBe('DE');
    expect(geo.lookup('::ffff:2a00:23c0::1')).toBeNull();
  });

  it('caches "no location" answers too', async () => {
    const geo = await openGeoip({ file: fixtures.nestedCity });
    expect(geo.lookup('81.2.70.1')).toBeNull();
    expect(geo.lookup('81.2.70.1')).toBeNull();
    expect(geo.cacheStats()).toEqual({ size: 1, hits: 1, misses: 1 });
  });

  it('does not spend cache entries on private or malformed addresses', async () => {
    const geo = await openGeoip({ file: fixtures.nestedCity });
    for (const ip of ['10.0.0.1', '::1', 'not-an-ip']) geo.lookup(ip);
    expect(geo.cacheStats()).toEqual({ size: 0, hits: 0, misses: 0 });
  });

  it('keeps an entry for 24 h and looks the address up again 1 ms later', async () => {
    // Starts at 0 on purpose: lru-cache's own TTL would treat an entry stored at time 0 as immortal.
    const clock = fakeClock(0);
    const geo = await openGeoip({ file: fixtures.nestedCity, now: clock.now });
    geo.lookup('81.2.69.142');
    clock.advance(DEFAULT_TTL_MS);
    expect(geo.lookup('81.2.69.142')?.city_name).toBe('London');
    expect(geo.cacheStats()).toMatchObject({ hits: 1, misses: 1 });
    clock.advance(1);
    expect(geo.lookup('81.2.69.142')?.city_name).toBe('London');
    expect(geo.cacheStats()).toMatchObject({ hits: 1, misses: 2 });
  });

  it('honours a custom TTL', async () => {
    const clock = fakeClock(1_700_000_000_000);
    const geo = await openGeoip({ file: fixtures.nestedCity, now: clock.now, ttlMs: 60_000 });
    geo.lookup('81.2.69.142');
    clock.advance(60_001);
    geo.lookup('81.2.69.142');
    expect(geo.cacheStats()).toMatchObject({ hits: 0, misses: 2 });
  });

  it('holds at most cacheMax addresses, dropping the least recently used', async () => {
    const geo = await openGeoip({ file: fixtures.nestedCity, cacheMax: 2 });
    geo.lookup('81.2.69.1');
    geo.lookup('81.2.69.2');
    geo.lookup('81.2.69.1');
    geo.lookup('81.2.69.3');
    expect(geo.cacheStats().size).toBe(2);
    geo.lookup('81.2.69.1');
    geo.lookup('81.2.69.2');
    expect(geo.cacheStats()).toEqual({ size: 2, hits: 2, misses: 4 });
  });

  it.each([
    [{ cacheMax: 0 }, 'cacheMax'],
    [{ cacheMax: 1.5 }, 'cacheMax'],
    [{ ttlMs: -1 }, 'ttlMs'],
    [{ ttlMs: Number.NaN }, 'ttlMs'],
  ])('rejects %o, naming the option', async (options, name) => {
    await expect(openGeoip({ file: fixtures.nestedCity, ...options })).rejects.toThrow(
      `geoip option ${name}`,
    );
  });
});
