import { describe, expect, it } from 'vitest';
import { peerFlag } from '../../../server/detection/peer-flag.js';

const seen = '2026-12-08T01:00:00.000Z';
const flag = (over: Record<string, unknown>) => ({
  ip: '198.51.100.7',
  reason: 'admin_access',
  details: { count: 5, samplePaths: ['/admin'] },
  request_count: 5,
  first_seen: seen,
  last_seen: seen,
  is_active: true,
  ...over,
});

describe('a flag from another instance', () => {
  it('is taken when this instance could have raised it', () => {
    expect(peerFlag(flag({}))).toEqual(flag({}));
    expect(peerFlag(flag({ ip: '2001:db8::7', reason: 'ml_outlier' }))?.ip).toBe('2001:db8::7');
  });

  it('is refused for a range, a non-canonical address, an unknown reason or oversized evidence', () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 20_000; i++) deep = { d: deep };
    for (const over of [
      { ip: '128.0.0.0/1' }, // would auto-block half the Internet
      { ip: '::/0' },
      { ip: '2001:DB8::7' },
      { ip: 'not an address' },
      { reason: 'whatever' },
      { details: { blob: 'x'.repeat(20_000) } },
      { details: deep },
      { last_seen: '9999-12-31T23:59:59.999Z' }, // would never expire
      { last_seen: new Date(Date.now() + 2 * 3_600_000).toISOString() }, // past a dismissal's quiet hour
      { last_seen: '2026-12-08T02:00:00.000+01:00' }, // compared as UTC text
      { first_seen: '2026-12-08T01:00:00.001Z' }, // after the last sighting
    ])
      expect(peerFlag(flag(over)), JSON.stringify(Object.keys(over))).toBeNull();
  });
});
