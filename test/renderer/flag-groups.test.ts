import { describe, expect, it } from 'vitest';
import { groupFlags, uiBlockReason } from '../../renderer/src/flag-groups.js';
import type { Flag, FlagBlock } from '../../renderer/src/types.js';

function flag(ip: string, reason: string, first: string, last: string): Flag {
  return { ip, reason, details: {}, request_count: 1, first_seen: first, last_seen: last, is_active: true };
}

function block(target: string): FlagBlock {
  return { target, reason: '', createdAt: '2026-11-22T00:00:00Z', createdBy: 'test', expiresAt: null };
}

describe('flagged IPs', () => {
  it('groups flags by IP with distinct reasons and the widest sighting span, newest first', () => {
    const groups = groupFlags([
      flag('203.0.113.66', 'failed_logins', '2026-11-22T01:00:00Z', '2026-11-22T02:00:00Z'),
      flag('198.51.100.7', 'high_volume', '2026-11-22T00:00:00Z', '2026-11-22T01:00:00Z'),
      flag('203.0.113.66', 'sensitive_paths', '2026-11-22T00:30:00Z', '2026-11-22T03:00:00Z'),
    ]);
    expect(groups.map((g) => g.ip)).toEqual(['203.0.113.66', '198.51.100.7']);
    expect(groups[0]).toMatchObject({
      reasons: ['failed_logins', 'sensitive_paths'],
      firstSeen: '2026-11-22T00:30:00Z',
      lastSeen: '2026-11-22T03:00:00Z',
    });
    expect(groups[0]?.flags).toHaveLength(2);
  });

  it('gives each IP the block the server named on its flags, none when every flag says null', () => {
    const groups = groupFlags([
      {
        ...flag('203.0.113.66', 'failed_logins', '2026-11-22T01:00:00Z', '2026-11-22T02:00:00Z'),
        block: null,
      },
      {
        ...flag('203.0.113.66', 'sensitive_paths', '2026-11-22T00:30:00Z', '2026-11-22T03:00:00Z'),
        block: block('203.0.113.0/24'),
      },
      { ...flag('198.51.100.7', 'high_volume', '2026-11-22T00:00:00Z', '2026-11-22T01:00:00Z'), block: null },
    ]);
    expect(groups.map((g) => [g.ip, g.block?.target])).toEqual([
      ['203.0.113.66', '203.0.113.0/24'],
      ['198.51.100.7', undefined],
    ]);
  });

  it('records why the UI blocked', () => {
    expect(uiBlockReason(['failed_logins', 'admin_access'])).toBe(
      'blocked from UI: failed_logins, admin_access',
    );
  });
});
