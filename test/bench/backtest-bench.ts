/**
 * Backtest benchmark (part of `npm run bench -- backtest`): writes `records` requests spread over
 * `days` days from `ips` IPs (plus a few heavy hitters) into a fresh request log, then backtests
 * high_volume 50 against the default 100 over the whole range and samples peak RSS. Run at 1 and
 * at 7 days with the same requests per hour: peak RSS must not grow with the range (the log is
 * streamed and windows close as it moves on). Usage: tsx backtest-bench.ts [records] [days] [ips]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseCandidate, runBacktest } from '../../server/detection/index.js';
import { parseSettings } from '../../server/settings.js';
import { createRequestLog } from '../../server/store/index.js';
import { record } from '../helpers/records.js';
import { measurePeakRss } from './peak-rss.js';

const RECORDS = Number(process.argv[2] ?? 1_000_000);
const DAYS = Number(process.argv[3] ?? 7);
const IPS = Number(process.argv[4] ?? 50_000);
const START = Date.parse('2026-01-05T00:00:00Z');
const SPAN = DAYS * 86_400_000;
const PATHS = [
  '/',
  '/blog/',
  '/about',
  '/feed.xml',
  '/img/logo.png',
  '/login',
  '/admin/',
  '/.env',
  '/search',
];

const dir = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-backtest-bench-'));
try {
  const requestLog = await createRequestLog({ dir: path.join(dir, 'requests'), maxBatch: 50_000 });
  for (let i = 0; i < RECORDS; i++) {
    // Every 80th request comes from the hour's heavy hitter (one of 40: about 78 requests in its
    // hour, between 50 and 100); the rest spread over IPS addresses.
    const at = START + Math.floor((i / RECORDS) * SPAN);
    const heavy = i % 80 === 0;
    const n = heavy ? Math.floor((at - START) / 3_600_000) % 40 : (i * 7919) % IPS;
    const ip = heavy ? `198.18.0.${n}` : `${20 + (n % 200)}.${(n >> 8) & 255}.${n & 255}.${(n >> 3) & 255}`;
    requestLog.append(
      record(ip, at, { path: PATHS[(i + n) % PATHS.length], status: i % 13 === 0 ? 404 : 200 }),
    );
    if (i % 50_000 === 49_999) await requestLog.flush();
  }
  await requestLog.flush();
  const current = parseSettings({});
  const candidate = parseCandidate({ detection: { thresholds: { high_volume: 50 } } }, current);
  const lists = { isAllowlisted: () => false, decide: () => ({ kind: 'none' as const }) };
  const { result, seconds, baseline, peak } = await measurePeakRss(() =>
    runBacktest(
      { requestLog, lists },
      { current, candidate },
      { since: new Date(START), until: new Date(START + SPAN) },
    ),
  );
  console.log(
    `backtest over ${DAYS} day(s), ${result.current.records.toLocaleString('en')} requests from ${IPS.toLocaleString('en')} IPs: ` +
      `${seconds.toFixed(2)} s (${Math.round(result.current.records / seconds).toLocaleString('en')} requests/s), ` +
      `peak RSS ${(peak / 1e6).toFixed(0)} MB (${((peak - baseline) / 1e6).toFixed(0)} MB above the process before the run), ` +
      `${result.diff.newlyFlagged.length} IPs newly flagged, ${result.diff.reasonsChanged.length} flagged for other reasons ` +
      `(current: ${result.current.flaggedIps} flagged IPs, candidate: ${result.candidate.flaggedIps})`,
  );
  await requestLog.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
