import { describe, expect, it } from 'vitest';
import { IpFeatureAccumulator, MAX_TRACKED_PATHS } from '../../../server/detection/ip-features.js';
import type { AccessRecord } from '../../../server/store/index.js';
import { record } from '../../helpers/records.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const isSensitive = (path: string) => path === '/.env' || path.startsWith('/.git/');

function withoutUserAgent(r: AccessRecord): AccessRecord {
  const { user_agent: _dropped, ...rest } = r;
  return rest;
}

function accumulate(records: AccessRecord[]) {
  const acc = new IpFeatureAccumulator();
  for (const r of records) acc.add(r, isSensitive);
  return acc.features();
}

describe('IpFeatureAccumulator', () => {
  it('computes the six features of each IP exactly, in first-seen order', () => {
    const a = '192.0.2.10';
    const b = '2001:db8::7';
    const rows = accumulate([
      record(a, T0, { path: '/', ua: 'Firefox' }),
      record(b, T0 + 5_000, { path: '/login', status: 401, ua: 'curl/8.5' }),
      record(a, T0 + 10_000, { path: '/a', status: 404, ua: 'Chrome' }),
      record(a, T0 + 20_000, { path: '/', status: 500, ua: 'Firefox' }),
      withoutUserAgent(record(a, T0 + 60_000, { path: '/.env', status: 200 })),
    ]);
    expect(rows).toEqual([
      // 4 requests; paths /, /a, /.env → 3/4; 404 and 500 → 2/4; one /.env → 1/4;
      // gaps 10, 10, 40 s → 20 s; Firefox and Chrome → 2 (the request without one adds none).
      { ip: a, requestCount: 4, vector: [4, 0.75, 0.5, 0.25, 20, 2] },
      { ip: b, requestCount: 1, vector: [1, 1, 1, 0, 0, 1] },
    ]);
  });

  it('takes the mean gap from the span, whatever order the records arrive in', () => {
    const ip = '192.0.2.11';
    const rows = accumulate([
      record(ip, T0 + 90_000),
      record(ip, T0),
      record(ip, T0 + 30_000),
      record(ip, T0 + 31_500),
    ]);
    expect(rows[0]?.vector[4]).toBe(30);
  });

  it('ignores an unparseable timestamp for the gap but still counts the request', () => {
    const ip = '192.0.2.12';
    const rows = accumulate([record(ip, T0), record(ip, 'not a time'), record(ip, T0 + 4_000)]);
    expect(rows[0]).toMatchObject({ requestCount: 3, vector: [3, 1 / 3, 0, 0, 4, 1] });
  });

  it('asks the sensitive-path classifier about the raw path', () => {
    const seen: string[] = [];
    const acc = new IpFeatureAccumulator();
    acc.add(record('192.0.2.13', T0, { path: '/.git/config' }), (path) => {
      seen.push(path);
      return isSensitive(path);
    });
    expect(seen).toEqual(['/.git/config']);
    expect(acc.features()[0]?.vector[3]).toBe(1);
  });

  it(`remembers ${MAX_TRACKED_PATHS} distinct paths per IP and counts every unremembered one as new`, () => {
    const ip = '192.0.2.14';
    const records: AccessRecord[] = [];
    for (let i = 0; i < MAX_TRACKED_PATHS + 200; i++) records.push(record(ip, T0 + i, { path: `/p/${i}` }));
    records.push(record(ip, T0, { path: '/p/0' })); // remembered: not new
    records.push(record(ip, T0, { path: `/p/${MAX_TRACKED_PATHS + 100}` })); // past the cap: counted again
    const [row] = accumulate(records);
    const requests = MAX_TRACKED_PATHS + 202;
    expect(row?.requestCount).toBe(requests);
    expect(row?.vector[1]).toBe((MAX_TRACKED_PATHS + 201) / requests);
  });

  it('returns nothing before any record', () => {
    expect(new IpFeatureAccumulator().features()).toEqual([]);
  });
});
