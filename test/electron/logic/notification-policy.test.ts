import { describe, expect, it } from 'vitest';
import {
  flagNotificationText,
  NotificationPolicy,
  summaryNotificationText,
} from '../../../electron/logic/notification-policy.js';

const open = { blocked: false, allowlisted: false };

function policyAt(start = 1_000_000) {
  const clock = { now: start };
  const policy = new NotificationPolicy({ now: () => clock.now });
  return { clock, policy };
}

describe('NotificationPolicy', () => {
  it('notifies a newly flagged IP once per 10 minutes', () => {
    const { clock, policy } = policyAt();
    expect(policy.offer({ ip: '203.0.113.7', reason: 'failed_logins' }, open).kind).toBe('notify');
    expect(policy.offer({ ip: '203.0.113.7', reason: 'sensitive_paths' }, open).kind).toBe('cooldown');
    clock.now += 9 * 60_000;
    expect(policy.offer({ ip: '203.0.113.7', reason: 'admin_access' }, open).kind).toBe('cooldown');
    clock.now += 60_000;
    expect(policy.offer({ ip: '203.0.113.7', reason: 'high_volume' }, open).kind).toBe('notify');
  });

  it('ignores IPs that are already blocked or allowlisted', () => {
    const { policy } = policyAt();
    expect(policy.offer({ ip: '203.0.113.7', reason: 'x' }, { blocked: true, allowlisted: false }).kind).toBe(
      'ignored',
    );
    expect(policy.offer({ ip: '203.0.113.8', reason: 'x' }, { blocked: false, allowlisted: true }).kind).toBe(
      'ignored',
    );
    expect(policy.offer({ ip: '203.0.113.7', reason: 'x' }, open).kind).toBe('notify');
  });

  it('shows at most 5 a minute during an attack, then one summary of the rest', () => {
    const { clock, policy } = policyAt();
    const decisions = Array.from(
      { length: 300 },
      (_, i) => policy.offer({ ip: `198.51.100.${i % 250}`, reason: 'high_volume' }, open).kind,
    );
    expect(decisions.filter((d) => d === 'notify')).toHaveLength(5);
    expect(policy.takeSummary()).toBeNull(); // no token yet
    clock.now += 12_000; // one token back (5 per 60 s)
    const summary = policy.takeSummary();
    expect(summary?.count).toBe(245);
    expect(policy.takeSummary()).toBeNull(); // announced once
    // The summarised IPs are in cooldown: their next flags stay quiet.
    expect(policy.offer({ ip: '198.51.100.42', reason: 'brute_force' }, open).kind).toBe('cooldown');
  });

  it('refills to the burst, not beyond, after a quiet spell', () => {
    const { clock, policy } = policyAt();
    clock.now += 3_600_000;
    const decisions = Array.from(
      { length: 8 },
      (_, i) => policy.offer({ ip: `192.0.2.${i}`, reason: 'x' }, open).kind,
    );
    expect(decisions.filter((d) => d === 'notify')).toHaveLength(5);
    expect(decisions.slice(5)).toEqual(['deferred', 'deferred', 'deferred']);
  });

  it('rejects a non-positive option at construction', () => {
    expect(() => new NotificationPolicy({ now: Date.now, burst: 0 })).toThrow(/burst/);
  });
});

describe('notification text', () => {
  it('names the IP and its reasons in words', () => {
    expect(
      flagNotificationText('203.0.113.7', ['failed_logins', 'sensitive_paths', 'failed_logins']),
    ).toEqual({
      title: 'IP flagged: 203.0.113.7',
      body: 'Why: failed logins, probing sensitive paths.',
    });
    expect(summaryNotificationText(1).title).toBe('1 more IP flagged');
    expect(summaryNotificationText(12).title).toBe('12 more IPs flagged');
  });
});
