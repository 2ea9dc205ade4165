import { describe, expect, it } from 'vitest';
import { parseCandidate, runBacktest } from '../../../server/detection/index.js';
import { parseSettings, type Settings } from '../../../server/settings.js';
import type { AccessRecord } from '../../../server/store/index.js';
import { record } from '../../helpers/records.js';

const H = Date.parse('2026-03-02T10:00:00Z');
const MIN = 60_000;
const base = parseSettings({});

function log(records: AccessRecord[]) {
  const sorted = [...records].sort((a, b) => a['@timestamp'].localeCompare(b['@timestamp']));
  return {
    async *scan(filter: { since?: Date; until?: Date }) {
      for (const r of sorted) {
        const t = Date.parse(r['@timestamp']);
        if ((!filter.since || t >= filter.since.getTime()) && (!filter.until || t < filter.until.getTime()))
          yield r;
      }
    },
  };
}

function lists(allow: string[] = [], blocked: string[] = []) {
  return {
    isAllowlisted: (ip: string) => allow.includes(ip),
    decide: (ip: string) =>
      (blocked.includes(ip) ? { kind: 'blocked' } : { kind: 'none' }) as { kind: 'none' },
  };
}

/** `n` requests from `ip`, one every `gapMs` from `start`. */
function burst(
  ip: string,
  n: number,
  start: number,
  gapMs = 30_000,
  options: Parameters<typeof record>[2] = {},
) {
  return Array.from({ length: n }, (_, i) => record(ip, start + i * gapMs, options));
}

async function backtest(
  records: AccessRecord[],
  candidate: unknown,
  options: { allow?: string[]; blocked?: string[]; current?: Settings } = {},
) {
  const current = options.current ?? base;
  return runBacktest(
    { requestLog: log(records), lists: lists(options.allow, options.blocked) },
    { current, candidate: parseCandidate(candidate, current) },
    { since: new Date(H), until: new Date(H + 48 * 60 * MIN) },
  );
}

const highVolume50 = { detection: { thresholds: { high_volume: 50 } } };

describe('runBacktest', () => {
  it('newly flags an IP over the candidate threshold within one window, with evidence and later logins', async () => {
    const records = [
      ...burst('198.51.100.1', 60, H),
      record('198.51.100.1', H + 40 * MIN, { method: 'POST', path: '/login', status: 302 }),
      record('198.51.100.1', H + 41 * MIN, { method: 'GET', path: '/login', status: 200 }), // a form view
      record('198.51.100.2', H + MIN, { method: 'POST', path: '/login', status: 200 }), // before its flag
      ...burst('198.51.100.2', 60, H),
    ];
    const result = await backtest(records, highVolume50);
    expect(result.diff.newlyFlagged.map((e) => [e.ip, e.laterLogins, e.likelyFalsePositive])).toEqual([
      ['198.51.100.1', 1, true],
      ['198.51.100.2', 0, false],
    ]);
    const [reason] = result.diff.newlyFlagged[0]?.reasons ?? [];
    // The 51st request (index 50, 25 minutes in) crossed the threshold.
    expect(reason).toMatchObject({ reason: 'high_volume', count: 62, threshold: 50, windows: 1 });
    expect(reason?.firstAt).toBe(new Date(H + 50 * 30_000).toISOString());
    expect(reason?.details).toMatchObject({
      window: { start: new Date(H).toISOString() },
      samplePaths: ['/', '/login'],
    });
    expect(result.candidate.flaggedIps).toBe(2);
    expect(result.current.flaggedIps).toBe(0);
  });

  it('counts per window: 60 requests split across two clock hours flag nothing', async () => {
    const result = await backtest(burst('198.51.100.3', 60, H + 30 * MIN, 60_000), highVolume50);
    expect(result.diff.newlyFlagged).toEqual([]);
    expect(result.candidate.windows).toBe(2);
  });

  it('never flags an allowlisted IP', async () => {
    const result = await backtest(burst('198.51.100.4', 60, H), highVolume50, { allow: ['198.51.100.4'] });
    expect(result.diff.newlyFlagged).toEqual([]);
  });

  it('reports IPs no longer flagged, and reasons that change', async () => {
    const records = [
      ...burst('198.51.100.5', 7, H, 1000, { path: '/.env' }),
      ...burst('198.51.100.6', 7, H, 1000, { path: '/wp-admin/x.php' }),
    ];
    const result = await backtest(records, { detection: { thresholds: { sensitive_paths: 10 } } });
    expect(result.diff.noLongerFlagged.map((e) => [e.ip, e.reasons.map((r) => r.reason)])).toEqual([
      ['198.51.100.5', ['sensitive_paths']],
    ]);
    // .6 stays flagged for admin_access but loses sensitive_paths.
    expect(
      result.diff.reasonsChanged.map((e) => [e.ip, e.reasons.map((r) => r.reason), e.otherReasons]),
    ).toEqual([['198.51.100.6', ['admin_access'], ['sensitive_paths', 'admin_access']]]);
  });

  it('reports new auto-blocks by the candidate reason count, marking IPs already on the blocklist', async () => {
    const records = [
      ...burst('198.51.100.7', 7, H, 1000, { path: '/wp-admin/' }),
      ...burst('198.51.100.8', 7, H, 1000, { path: '/wp-admin/' }),
    ];
    const result = await backtest(
      records,
      { detection: { autoBlockReasons: 2 } },
      { blocked: ['198.51.100.8'] },
    );
    expect(result.diff.newlyBlocked.map((e) => [e.ip, e.alreadyBlocked])).toEqual([
      ['198.51.100.7', false],
      ['198.51.100.8', true],
    ]);
    expect(result.candidate.blockedIps).toBe(2);
    expect(result.current.blockedIps).toBe(0);
  });

  it('replays rate limits: 429s per IP under each settings', async () => {
    const login = { method: 'POST', path: '/login', status: 401 };
    const records = [
      ...burst('198.51.100.9', 4, H, 5000, login),
      ...burst('198.51.100.10', 2, H, 5000, login),
    ];
    const strict = { ...base.rateLimits[0], anonymous: { max: 2, period: '1m' } };
    const result = await backtest(records, { rateLimits: [strict] });
    expect(result.diff.rateLimited).toEqual([
      { ip: '198.51.100.9', rule: 'login', current: 0, candidate: 2 },
    ]);
    expect(result.candidate.rateLimitedRequests).toBe(2);
  });

  it('closes windows day by day over a multi-day range', async () => {
    const records = [...burst('198.51.100.11', 60, H), ...burst('198.51.100.11', 60, H + 24 * 60 * MIN)];
    const result = await backtest(records, highVolume50);
    expect(result.diff.newlyFlagged[0]?.reasons[0]).toMatchObject({ windows: 2, count: 60 });
  });

  it('accepts any order within a day, and leaves out a record of a day already closed', async () => {
    const D = 24 * 60 * MIN;
    const records = [
      ...burst('198.51.100.12', 30, H + 30 * MIN),
      record('198.51.100.13', H + 5 * 60 * MIN),
      ...burst('198.51.100.12', 30, H + 31 * MIN), // an import added older lines to the day: still counted
      record('198.51.100.13', H + D),
      record('198.51.100.12', H + 32 * MIN), // yesterday's line after today's: its window has closed
    ];
    const result = await runBacktest(
      {
        requestLog: {
          async *scan() {
            yield* records;
          },
        },
        lists: lists(),
      },
      { current: base, candidate: parseCandidate(highVolume50, base) },
      { since: new Date(H), until: new Date(H + 2 * D) },
    );
    expect(result.candidate).toMatchObject({ records: 62, lateRecords: 1 });
    expect(result.diff.newlyFlagged.map((e) => [e.ip, e.reasons[0]?.count])).toEqual([['198.51.100.12', 60]]);
  });
});

describe('runBacktest with the Isolation Forest', () => {
  // 60 quiet IPs and one that walks 40 distinct paths with errors: an outlier for the seeded forest.
  const records = [
    ...Array.from({ length: 60 }, (_, i) => burst(`192.0.2.${i + 1}`, 3, H + i * 1000, 60_000)).flat(),
    ...Array.from({ length: 40 }, (_, i) =>
      record('198.51.100.66', H + i * 20_000, { path: `/p${i}`, status: 404 }),
    ),
  ];
  const current = parseSettings({ detection: { ml: { minIps: 50, minRequests: 20, threshold: 0.6 } } });

  it('includes ml_outlier: turning ML off stops that flag', async () => {
    const result = await backtest(records, { detection: { ml: { enabled: false } } }, { current });
    expect(result.diff.noLongerFlagged.map((e) => [e.ip, e.reasons.map((r) => r.reason)])).toEqual([
      ['198.51.100.66', ['ml_outlier']],
    ]);
    expect(result.diff.noLongerFlagged[0]?.reasons[0]?.details).toHaveProperty('features');
  });

  it('reuses the forest when only a threshold changes, with the same ML findings on both sides', async () => {
    const result = await backtest(records, { detection: { thresholds: { high_volume: 30 } } }, { current });
    expect(
      result.diff.reasonsChanged.map((e) => [e.ip, e.reasons.map((r) => r.reason), e.otherReasons]),
    ).toEqual([['198.51.100.66', ['high_volume', 'ml_outlier'], ['ml_outlier']]]);
    expect(result.candidate.flaggedIps).toBe(result.current.flaggedIps);
  });
});

describe('parseCandidate', () => {
  it('merges a partial candidate over the settings in force', () => {
    const current = parseSettings({ detection: { sensitivePaths: ['/secret'] } });
    const candidate = parseCandidate(highVolume50, current);
    expect(candidate.detection.thresholds).toMatchObject({ high_volume: 50, brute_force: 200 });
    expect(candidate.detection.sensitivePaths).toEqual(['/secret']);
    expect(candidate.rateLimits).toEqual(current.rateLimits);
  });

  it('names the bad field and the expected form', () => {
    expect(() => parseCandidate({ detection: { thresholds: { high_volume: 0 } } }, base)).toThrow(
      /detection\.thresholds\.high_volume: .*>0/,
    );
    expect(() => parseCandidate({ rateLimits: [{ name: 'x', paths: ['/a'] }] }, base)).toThrow(
      /rateLimits\.0\.anonymous/,
    );
    expect(() => parseCandidate([], base)).toThrow(/\(root\): expected a JSON object/);
  });
});
