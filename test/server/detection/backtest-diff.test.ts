import { describe, expect, it } from 'vitest';
import { compareIps, diffOutcomes } from '../../../server/detection/backtest-diff.js';
import type { BacktestReason, SideOutcome } from '../../../server/detection/backtest-side.js';
import type { FlagReason } from '../../../server/detection/index.js';

const reason = (r: FlagReason): BacktestReason => ({
  reason: r,
  count: 1,
  windows: 1,
  firstAt: '2026-01-01T00:00:00.000Z',
  details: {},
});
function side(
  flagged: Record<string, FlagReason[]>,
  laterLogins: Record<string, number> = {},
  rateLimited: SideOutcome['rateLimited'] = [],
): SideOutcome {
  return {
    flagged: new Map(Object.entries(flagged).map(([ip, rs]) => [ip, rs.map(reason)])),
    laterLogins: new Map(Object.entries(laterLogins)),
    rateLimited,
    windows: 1,
    records: 1,
    lateRecords: 0,
  };
}
const context = {
  autoBlockReasons: { current: 3, candidate: 2 },
  isBlocked: (ip: string) => ip === '10.0.0.4',
};

describe('diffOutcomes', () => {
  const current = side(
    { '10.0.0.1': ['high_volume'], '10.0.0.2': ['sensitive_paths', 'admin_access', 'failed_logins'] },
    { '10.0.0.1': 2 },
    [{ ip: '10.0.0.9', rule: 'login', requests: 4 }],
  );
  const candidate = side(
    {
      '10.0.0.2': ['sensitive_paths'],
      '10.0.0.10': ['high_volume'],
      '10.0.0.4': ['high_volume', 'admin_access'],
    },
    { '10.0.0.10': 1 },
    [
      { ip: '10.0.0.9', rule: 'login', requests: 4 },
      { ip: '10.0.0.8', rule: 'login', requests: 1 },
    ],
  );
  const diff = diffOutcomes(current, candidate, context);

  it('lists newly and no longer flagged IPs, in numeric IP order, with later logins', () => {
    expect(diff.newlyFlagged.map((e) => [e.ip, e.laterLogins, e.likelyFalsePositive])).toEqual([
      ['10.0.0.4', 0, false],
      ['10.0.0.10', 1, true],
    ]);
    expect(diff.noLongerFlagged.map((e) => [e.ip, e.laterLogins, e.likelyFalsePositive])).toEqual([
      ['10.0.0.1', 2, true],
    ]);
  });

  it('lists IPs flagged by both for other reasons', () => {
    expect(diff.reasonsChanged.map((e) => [e.ip, e.reasons.map((r) => r.reason), e.otherReasons])).toEqual([
      ['10.0.0.2', ['sensitive_paths'], ['sensitive_paths', 'admin_access', 'failed_logins']],
    ]);
  });

  it("judges auto-blocks by each side's own reason count, marking IPs already blocked", () => {
    expect(diff.newlyBlocked.map((e) => [e.ip, e.alreadyBlocked])).toEqual([['10.0.0.4', true]]);
    expect(diff.noLongerBlocked.map((e) => e.ip)).toEqual(['10.0.0.2']);
  });

  it('keeps only 429 counts that differ', () => {
    expect(diff.rateLimited).toEqual([{ ip: '10.0.0.8', rule: 'login', current: 0, candidate: 1 }]);
  });
});

describe('compareIps', () => {
  it('orders IPv4 by octets, then IPv6', () => {
    expect(['2001:db8::1', '10.0.0.10', '9.0.0.1', '10.0.0.9'].sort(compareIps)).toEqual([
      '9.0.0.1',
      '10.0.0.9',
      '10.0.0.10',
      '2001:db8::1',
    ]);
  });
});
