import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dismissRangeSuggestion, suggestRanges } from '../../../server/detection/index.js';
import { record } from '../../helpers/records.js';
import { type DetectionFixture, detectionFixture } from './detection-fixture.js';

const NOW = Date.parse('2026-03-02T10:00:00Z');
const HOUR = 3_600_000;
let f: DetectionFixture;

beforeEach(async () => {
  f = await detectionFixture(NOW);
  for (const [ip, reason] of [
    ['203.0.113.5', 'high_volume'],
    ['203.0.113.6', 'sensitive_paths'],
    ['203.0.113.6', 'admin_access'],
    ['203.0.113.7', 'failed_logins'],
    ['198.51.100.1', 'high_volume'],
  ] as const) {
    await f.detection.flags.raise({ ip, reason, count: 200, details: {}, seenAt: NOW - HOUR }, 'test');
  }
  // In the window: 4 requests from flagged .5, 3 from unflagged .8 and 2 from unflagged .9; one older.
  for (let i = 0; i < 4; i++) f.requestLog.append(record('203.0.113.5', NOW - HOUR + i));
  for (let i = 0; i < 3; i++) f.requestLog.append(record('203.0.113.8', NOW - 2 * HOUR + i));
  for (let i = 0; i < 2; i++) f.requestLog.append(record('203.0.113.9', NOW - 3 * HOUR + i));
  f.requestLog.append(record('203.0.113.8', NOW - 30 * HOUR));
  await f.requestLog.flush();
});
afterEach(async () => {
  await f.close();
});

const suggest = () =>
  suggestRanges(
    { flags: f.detection.flags, lists: f.lists, requestLog: f.requestLog, state: f.state, now: f.clock.now },
    { minIps: 3, windowMs: 24 * HOUR },
  );

describe('suggestRanges', () => {
  it('suggests the /24 with the flagged IPs, their reasons and the legitimate traffic in the window', async () => {
    expect(await suggest()).toEqual([
      {
        range: '203.0.113.0/24',
        family: 4,
        prefix: 24,
        ips: [
          { ip: '203.0.113.5', reasons: ['high_volume'] },
          { ip: '203.0.113.6', reasons: ['admin_access', 'sensitive_paths'] },
          { ip: '203.0.113.7', reasons: ['failed_logins'] },
        ],
        legitimate: { requests: 5, ips: 2 },
        flaggedRequests: 4,
        allowlisted: [],
        operator: [],
      },
    ]);
  });

  it('marks a range holding an allowlisted address', async () => {
    await f.lists.allow({ target: '203.0.113.100', reason: 'office', actor: 'test' });
    expect((await suggest())[0]?.allowlisted).toEqual(['203.0.113.100']);
  });

  it('marks a range holding an address the operator uses, so blocking it asks first', async () => {
    f.lists.operator.note('203.0.113.200');
    const [suggestion] = await suggest();
    expect(suggestion?.operator).toEqual(['203.0.113.200']);
    await expect(
      f.lists.block({ target: suggestion?.range ?? '', reason: 'range', actor: 'test' }),
    ).rejects.toMatchObject({ status: 409 });
  });

  it('skips a range a live block covers, and suggests it again when the block expires', async () => {
    await f.lists.block({ target: '203.0.0.0/16', reason: 'x', durationMs: HOUR, actor: 'test' });
    expect(await suggest()).toEqual([]);
    f.clock.t += 2 * HOUR;
    expect((await suggest()).map((s) => s.range)).toEqual(['203.0.113.0/24']);
  });

  it('skips a dismissed range until more of its IPs are flagged, and audits the dismissal', async () => {
    await dismissRangeSuggestion(f.state, '203.0.113.0/24', 3, 'user:test');
    expect(await suggest()).toEqual([]);
    expect(f.state.data.audit.at(-1)).toMatchObject({
      action: 'dismiss-range-suggestion',
      target: '203.0.113.0/24',
      actor: 'user:test',
    });
    await f.detection.flags.raise(
      { ip: '203.0.113.77', reason: 'high_volume', count: 200, details: {}, seenAt: NOW },
      'test',
    );
    expect((await suggest())[0]?.ips).toHaveLength(4);
    await expect(dismissRangeSuggestion(f.state, 'nope', 3, 'user:test')).rejects.toThrow(/not an IP/);
  });
});
