import { describe, expect, it } from 'vitest';
import { PendingRefreshes } from '../../../server/detection/pending-refreshes.js';
import type { Flag } from '../../../server/store/index.js';

const flag = (count: number, lastSeen: string, firstSeen = '2026-03-02T10:00:00.000Z'): Flag => ({
  ip: '198.51.100.7',
  reason: 'high_volume',
  details: { count },
  request_count: count,
  first_seen: firstSeen,
  last_seen: lastSeen,
  is_active: true,
});
const local = { actor: 'rule:live', action: 'refresh' };
const remote = { actor: 'rule:live', action: 'refresh', from: 'instance-b' };

describe('PendingRefreshes', () => {
  it('folds refreshes of one flag together: latest sighting, larger count with its evidence', () => {
    const pending = new PendingRefreshes();
    pending.add(flag(300, '2026-03-02T10:05:00.000Z'), local);
    pending.add(flag(200, '2026-03-02T10:07:00.000Z'), local);
    const [only] = pending.take();
    expect(only?.flag).toMatchObject({
      request_count: 300,
      details: { count: 300 },
      last_seen: '2026-03-02T10:07:00.000Z',
    });
    expect(pending.size).toBe(0);
  });

  it('keeps a local sighting publishable when another instance’s arrives before the write', () => {
    const pending = new PendingRefreshes();
    pending.add(flag(150, '2026-03-02T10:05:00.000Z'), local);
    pending.add(flag(160, '2026-03-02T10:06:00.000Z'), remote);
    expect(pending.take()[0]?.meta.from).toBeUndefined();
    pending.add(flag(150, '2026-03-02T10:05:00.000Z'), remote);
    pending.add(flag(160, '2026-03-02T10:06:00.000Z'), local);
    expect(pending.take()[0]?.meta.from).toBeUndefined();
  });

  it('puts back refreshes whose write failed under newer ones, keeping a local one publishable', () => {
    const pending = new PendingRefreshes();
    pending.add(flag(150, '2026-03-02T10:05:00.000Z'), local);
    const failed = pending.take();
    pending.add(flag(140, '2026-03-02T10:09:00.000Z'), remote);
    pending.restore(failed);
    const [merged] = pending.take();
    expect(merged?.flag).toMatchObject({ request_count: 150, last_seen: '2026-03-02T10:09:00.000Z' });
    expect(merged?.meta.from).toBeUndefined();
  });

  it('shows a flag with its waiting refresh folded in, and forgets one deleted', () => {
    const pending = new PendingRefreshes();
    const stored = flag(101, '2026-03-02T10:00:00.000Z');
    expect(pending.overlay(stored)).toBe(stored);
    pending.add(flag(300, '2026-03-02T10:05:00.000Z'), local);
    expect(pending.overlay(stored)).toMatchObject({ request_count: 300 });
    expect(stored.request_count).toBe(101);
    pending.delete('198.51.100.7', 'high_volume');
    expect(pending.overlay(stored)).toBe(stored);
  });
});
