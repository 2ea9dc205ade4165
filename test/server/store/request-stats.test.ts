import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createRequestLog,
  type RequestLog,
  RequestLogQueryError,
} from '../../../server/store/request-log.js';
import { makeRecord, makeTempDir } from './request-log-fixtures.js';

let cleanup: () => Promise<void>;
let log: RequestLog;

beforeEach(async () => {
  const temp = await makeTempDir();
  cleanup = temp.cleanup;
  log = await createRequestLog({
    dir: path.join(temp.root, 'requests'),
    flushIntervalMs: 60_000,
    onError: () => {},
  });
});
afterEach(async () => {
  await log.close();
  await cleanup();
});

describe('request log summarise', () => {
  beforeEach(async () => {
    const records = [
      makeRecord({ at: '2024-02-29T23:59:59.999Z', ip: '192.0.2.1', path: '/old' }),
      makeRecord({
        at: '2024-03-01T01:00:00.000Z',
        ip: '203.0.113.7',
        path: '/login',
        status: 401,
        country: 'DE',
        countryName: 'Germany',
      }),
      makeRecord({
        at: '2024-03-01T01:00:01.000Z',
        ip: '203.0.113.7',
        path: '/login',
        status: 401,
        country: 'DE',
      }),
      makeRecord({
        at: '2024-03-01T01:00:02.000Z',
        ip: '203.0.113.7',
        path: '/login',
        action: 'rate_limited',
        status: 429,
        country: 'DE',
      }),
      makeRecord({
        at: '2024-03-01T02:00:00.000Z',
        ip: '198.51.100.4',
        path: '/wp-admin',
        action: 'blocked',
        status: 403,
        country: 'US',
        countryName: 'United States',
      }),
      makeRecord({ at: '2024-03-02T03:00:00.000Z', ip: '2001:db8::1', path: '/' }),
      makeRecord({ at: '2024-03-02T04:00:00.000Z', ip: '198.51.100.4', path: '/', country: 'US' }),
      makeRecord({ at: '2024-03-03T00:00:00.000Z', ip: '192.0.2.1', path: '/new' }),
    ];
    for (const record of records) log.append(record);
    await log.flush();
  });

  it('counts actions, addresses, countries, paths and status codes over [since, until)', async () => {
    const since = new Date('2024-03-01T00:00:00.000Z');
    const until = new Date('2024-03-03T00:00:00.000Z');
    const stats = await log.summarise({ since, until }, { top: 2 });
    expect(stats).toEqual({
      total: 6,
      allowed: 4,
      blocked: 1,
      rateLimited: 1,
      uniqueIps: 3,
      topCountries: [
        { code: 'DE', name: 'Germany', count: 3 },
        { code: 'US', name: 'United States', count: 2 },
      ],
      topIps: [
        { ip: '203.0.113.7', count: 3, country: 'DE' },
        { ip: '198.51.100.4', count: 2, country: 'US' },
      ],
      topPaths: [
        { path: '/login', count: 3 },
        { path: '/', count: 2 },
      ],
      statusCodes: { '200': 2, '401': 2, '403': 1, '429': 1 },
      countries: [
        { code: 'DE', count: 3 },
        { code: 'US', count: 2 },
      ],
      timeline: [],
      since: '2024-03-01T00:00:00.000Z',
      until: '2024-03-03T00:00:00.000Z',
      approximate: false,
    });
  });

  it('buckets a timeline by action, filling empty buckets of a bounded range', async () => {
    const since = new Date('2024-03-01T00:00:00.000Z');
    const until = new Date('2024-03-03T00:00:00.000Z');
    const { timeline } = await log.summarise({ since, until }, { bucketMs: 86_400_000 });
    expect(timeline.map((b) => b.t)).toEqual(['2024-03-01T00:00:00.000Z', '2024-03-02T00:00:00.000Z']);
    const sum = timeline.reduce((n, b) => n + b.allowed + b.blocked + b.rateLimited, 0);
    expect(sum).toBe(6);
    expect(timeline.reduce((n, b) => n + b.blocked, 0)).toBe(1);
    expect(timeline.reduce((n, b) => n + b.rateLimited, 0)).toBe(1);
    await expect(log.summarise({ since, until }, { bucketMs: 10 })).rejects.toThrow('bucket');
  });

  it('covers everything when the range is open and lists at most top entries', async () => {
    const stats = await log.summarise({});
    expect(stats).toMatchObject({
      total: 8,
      allowed: 6,
      blocked: 1,
      rateLimited: 1,
      uniqueIps: 4,
      since: null,
      until: null,
    });
    expect(stats.topIps.map((entry) => entry.ip)).toEqual([
      '203.0.113.7',
      '192.0.2.1',
      '198.51.100.4',
      '2001:db8::1',
    ]);
    expect((await log.summarise({}, { top: 1 })).topPaths).toEqual([{ path: '/login', count: 3 }]);
  });

  it('rejects a bad top or range', async () => {
    await expect(log.summarise({}, { top: 0 })).rejects.toBeInstanceOf(RequestLogQueryError);
    await expect(log.summarise({ since: new Date(Number.NaN) })).rejects.toBeInstanceOf(RequestLogQueryError);
  });
});
