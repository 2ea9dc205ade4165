import { describe, expect, it } from 'vitest';
import { buildQuery, withSegment } from '../../renderer/src/query.js';
import { parseRoute, routeHash } from '../../renderer/src/route.js';
import { readTokenFragment } from '../../renderer/src/token-fragment.js';

describe('routes', () => {
  it('parses the hash routes', () => {
    expect(parseRoute('')).toEqual({ name: 'dashboard', query: {} });
    expect(parseRoute('#/flags')).toEqual({ name: 'flags', query: {} });
    expect(parseRoute('#/ip/203.0.113.7')).toEqual({ name: 'ip', param: '203.0.113.7', query: {} });
    expect(parseRoute('#/ip/2001%3Adb8%3A%3A1')).toMatchObject({ name: 'ip', param: '2001:db8::1' });
    expect(parseRoute('#/requests?path=%2Flogin&status=401')).toEqual({
      name: 'requests',
      query: { path: '/login', status: '401' },
    });
    expect(parseRoute('#/nope').name).toBe('not-found');
    expect(parseRoute('#/ip/%E0%A4%A').name).toBe('not-found');
  });

  it('builds hashes that parse back', () => {
    const hash = routeHash('ip', '2001:db8::1');
    expect(parseRoute(hash)).toMatchObject({ name: 'ip', param: '2001:db8::1' });
    expect(routeHash('requests', undefined, { path: '/a b', ip: '' })).toBe('#/requests?path=%2Fa+b');
    expect(parseRoute(routeHash('requests', undefined, { path: '/a b' })).query).toEqual({ path: '/a b' });
  });
});

describe('sign-in link fragment', () => {
  it('takes the token and leaves the dashboard route', () => {
    expect(readTokenFragment('#token=abc_DEF-123')).toEqual({ token: 'abc_DEF-123', rest: '#/dashboard' });
    expect(readTokenFragment('#token=abc&next=/flags')).toEqual({ token: 'abc', rest: '#/flags' });
  });

  it('leaves other hashes alone and ignores empty or off-site next values', () => {
    expect(readTokenFragment('#/flags')).toEqual({ token: null, rest: '#/flags' });
    expect(readTokenFragment('#token=')).toEqual({ token: null, rest: '#/dashboard' });
    expect(readTokenFragment('#token=x&next=https://evil.example')).toEqual({
      token: 'x',
      rest: '#/dashboard',
    });
  });
});

describe('API query strings', () => {
  it('leaves out empty filters and encodes values', () => {
    expect(buildQuery({ ip: '', path: '/a b', status: undefined, limit: 100, cursor: null })).toBe(
      '?path=%2Fa+b&limit=100',
    );
    expect(buildQuery({})).toBe('');
  });

  it('encodes a CIDR as one path segment', () => {
    expect(withSegment('/api/blocks', '198.51.100.0/24')).toBe('/api/blocks/198.51.100.0%2F24');
    expect(withSegment('/api/flags', '2001:db8::1', '/dismiss')).toBe('/api/flags/2001%3Adb8%3A%3A1/dismiss');
  });
});
