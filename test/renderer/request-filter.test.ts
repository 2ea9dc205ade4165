import { describe, expect, it } from 'vitest';
import {
  EMPTY_FILTER,
  filterParams,
  isEmptyFilter,
  matchesFilter,
} from '../../renderer/src/request-filter.js';
import type { EcsRecord } from '../../renderer/src/types.js';

const record: EcsRecord = {
  '@timestamp': '2026-11-22T03:20:07.767Z',
  source: { ip: '81.2.69.142', geo: { country_iso_code: 'GB' } },
  http: { request: { method: 'POST' }, response: { status_code: 401 } },
  url: { path: '/login', query: 'next=/admin' },
  event: { action: 'rate_limited', duration: 1_000_000 },
};

describe('request filter', () => {
  it('lets everything through when empty', () => {
    expect(isEmptyFilter({ ...EMPTY_FILTER })).toBe(true);
    expect(matchesFilter(record, { ...EMPTY_FILTER })).toBe(true);
  });

  it('matches IP exactly, path by prefix, status, action and country', () => {
    expect(matchesFilter(record, { ...EMPTY_FILTER, ip: '81.2.69.142' })).toBe(true);
    expect(matchesFilter(record, { ...EMPTY_FILTER, ip: '81.2.69.14' })).toBe(false);
    expect(matchesFilter(record, { ...EMPTY_FILTER, path: '/log' })).toBe(true);
    expect(matchesFilter(record, { ...EMPTY_FILTER, path: '/admin' })).toBe(false);
    expect(matchesFilter(record, { ...EMPTY_FILTER, status: '401' })).toBe(true);
    expect(matchesFilter(record, { ...EMPTY_FILTER, status: '200' })).toBe(false);
    expect(matchesFilter(record, { ...EMPTY_FILTER, action: 'rate_limited' })).toBe(true);
    expect(matchesFilter(record, { ...EMPTY_FILTER, action: 'blocked' })).toBe(false);
    expect(matchesFilter(record, { ...EMPTY_FILTER, country: 'gb' })).toBe(true);
    expect(matchesFilter(record, { ...EMPTY_FILTER, country: 'US' })).toBe(false);
  });

  it('keeps records inside [since, until)', () => {
    expect(matchesFilter(record, { ...EMPTY_FILTER, since: '2026-11-22T03:00:00Z' })).toBe(true);
    expect(matchesFilter(record, { ...EMPTY_FILTER, since: '2026-11-22T04:00:00Z' })).toBe(false);
    expect(matchesFilter(record, { ...EMPTY_FILTER, until: '2026-11-22T03:20:07.767Z' })).toBe(false);
  });

  it('sends the country upper-cased', () => {
    expect(filterParams({ ...EMPTY_FILTER, country: 'gb', ip: '1.2.3.4' })).toMatchObject({
      country: 'GB',
      ip: '1.2.3.4',
    });
  });
});
