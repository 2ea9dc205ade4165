import { readFileSync } from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRecords, startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { APACHE_LOGS, type CombinedLine, parseCombined } from '../helpers/combined-log.js';
import { replay } from '../helpers/replay.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/**
 * Replays ../shared/data/apache_logs (10,000 real requests, 1,753 distinct IPs) through the real
 * proxy, each client IP passed as X-Forwarded-For from the trusted loopback peer.
 */
describe('replaying a real access log through the proxy', () => {
  let upstream: TestUpstream;
  let app: TestAppliance;
  const lines = readFileSync(APACHE_LOGS, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map(parseCombined);

  beforeAll(async () => {
    upstream = await startUpstream();
    app = await startTestAppliance({
      upstream: upstream.url.href,
      trustProxy: 'loopback',
      rateLimits: [] as never,
    });
  });
  afterAll(async () => {
    await app.stop();
    await upstream.close();
  });

  it('logs exactly 10,000 records with 1,753 distinct IPs, geolocated', async () => {
    expect(lines).toHaveLength(10_000);
    expect(lines.every((l) => l !== null)).toBe(true);
    await replay(lines as CombinedLine[], app.addresses.proxyUrl, 16);

    const records = await allRecords(app);
    expect(records).toHaveLength(10_000);
    expect(new Set(records.map((r) => r.source.ip)).size).toBe(1_753);
    expect(app.appliance.parts.requestLog.stats()).toMatchObject({
      appended: 10_000,
      written: 10_000,
      failed: 0,
    });

    // Every public address in this log is IPv4 and gets a country from the bundled database.
    const located = records.filter((r) => r.source.geo !== undefined);
    expect(located.length).toBeGreaterThan(9_900);
    const busiest = records.filter((r) => r.source.ip === '66.249.73.135');
    expect(busiest).toHaveLength(482);
    const countries = new Set(records.map((r) => r.source.geo?.country_iso_code).filter(Boolean));
    expect(countries.has('US')).toBe(true);
    expect(countries.size).toBeGreaterThan(50);
    // Real user agents arrive intact.
    expect(records.some((r) => r.user_agent?.original.includes('Googlebot/2.1'))).toBe(true);
  });

  it('geolocates 81.2.69.142 to Bracknell, GB (the bundled database)', async () => {
    await new Promise<void>((resolve, reject) => {
      const { hostname, port } = new URL(app.addresses.proxyUrl);
      http
        .get({ hostname, port, path: '/geo-check', headers: { 'x-forwarded-for': '81.2.69.142' } }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject);
    });
    const records = await allRecords(app);
    const record = records.find((r) => r.url.path === '/geo-check');
    expect(record?.source.geo).toMatchObject({
      country_iso_code: 'GB',
      country_name: 'United Kingdom',
      city_name: 'Bracknell',
    });
  });

  it('answers stats and filtered queries over the replayed traffic through the admin API', async () => {
    const stats = (await (await app.admin('/api/stats?top=5')).json()) as {
      total: number;
      uniqueIps: number;
      topIps: { ip: string; count: number }[];
      topCountries: { code: string; count: number }[];
    };
    expect(stats.total).toBe(10_001);
    expect(stats.uniqueIps).toBe(1_754);
    expect(stats.topIps[0]).toEqual(expect.objectContaining({ ip: '66.249.73.135', count: 482 }));
    expect(stats.topCountries[0]?.code).toBe('US');

    const page = (await (await app.admin('/api/requests?ip=66.249.73.135&limit=100')).json()) as {
      records: { source: { ip: string } }[];
      nextCursor: string | null;
    };
    expect(page.records).toHaveLength(100);
    expect(page.records.every((r) => r.source.ip === '66.249.73.135')).toBe(true);
    let total = page.records.length;
    let cursor = page.nextCursor;
    while (cursor) {
      const next = (await (
        await app.admin(`/api/requests?ip=66.249.73.135&limit=100&cursor=${encodeURIComponent(cursor)}`)
      ).json()) as typeof page;
      total += next.records.length;
      cursor = next.nextCursor;
    }
    expect(total).toBe(482);
  });
});
