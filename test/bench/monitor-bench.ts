/**
 * Monitor-job benchmark (part of `npm run bench`): writes 1,000,000 requests from 50,000 IPs in
 * one hour into a fresh request log, then times the monitor job over that hour (the five rules plus
 * the Isolation Forest) and samples peak RSS. Target (issue 3): under 10 s and under 500 MB.
 * Usage: tsx monitor-bench.ts [records] [ips] [--row]; `--row` prints one markdown table row
 * (records | IPs | write s | monitor s | peak RSS MB | findings) for the growth curve.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../server/config.js';
import { createDetection } from '../../server/detection/index.js';
import { createLogger } from '../../server/log.js';
import { AccessLists, createCounters, createRequestLog, openStateStore } from '../../server/store/index.js';
import { record } from '../helpers/records.js';
import { measurePeakRss } from './peak-rss.js';

const RECORDS = Number(process.argv[2] ?? 1_000_000);
const IPS = Number(process.argv[3] ?? 50_000);
const ROW = process.argv[4] === '--row';
const HOUR = Date.parse('2026-01-05T10:00:00Z');
const PATHS = [
  '/',
  '/blog/',
  '/about',
  '/feed.xml',
  '/img/logo.png',
  '/css/site.css',
  '/login',
  '/admin/',
  '/.env',
  '/search',
];

const dir = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-monitor-bench-'));
try {
  const config = loadConfig({ flags: { dataDir: dir }, env: {}, cwd: dir });
  const requestLog = await createRequestLog({ dir: path.join(dir, 'requests'), maxBatch: 50_000 });
  const writeStart = performance.now();
  for (let i = 0; i < RECORDS; i++) {
    const ipIndex = (i * 7919) % IPS; // spread, deterministic
    const ip = `10.${(ipIndex >> 16) & 255}.${(ipIndex >> 8) & 255}.${ipIndex & 255}`.replace(
      /^10\./,
      `${20 + (ipIndex % 200)}.`,
    );
    const at = HOUR + Math.floor((i / RECORDS) * 3_600_000);
    requestLog.append(
      record(ip, at, { path: PATHS[(i + ipIndex) % PATHS.length], status: i % 13 === 0 ? 404 : 200 }),
    );
    if (i % 50_000 === 49_999) await requestLog.flush();
  }
  await requestLog.flush();
  const segments = await requestLog.listSegments();
  const bytes = segments.reduce((n, s) => n + s.bytes, 0);
  const writeSeconds = (performance.now() - writeStart) / 1000;
  if (!ROW)
    console.log(
      `wrote ${RECORDS.toLocaleString('en')} records from ${IPS.toLocaleString('en')} IPs (${(bytes / 1e6).toFixed(0)} MB) in ${((performance.now() - writeStart) / 1000).toFixed(1)} s`,
    );

  const state = await openStateStore({ dataDir: dir });
  const lists = new AccessLists(state);
  const counters = createCounters({ prefix: 'bench:' });
  const detection = createDetection({
    config: config.detection,
    dataDir: dir,
    state,
    lists,
    requestLog,
    counters,
    logger: createLogger('silent'),
  });
  const {
    result: run,
    seconds,
    baseline,
    peak,
  } = await measurePeakRss(() => detection.jobs.run('monitor', { now: HOUR + 3_600_000, dryRun: true }));
  const findings = (run.summary?.findings as unknown[] | undefined)?.length ?? 0;
  if (ROW) {
    console.log(
      `| ${RECORDS.toLocaleString('en')} | ${IPS.toLocaleString('en')} | ${writeSeconds.toFixed(0)} | ${seconds.toFixed(1)} | ${(peak / 1e6).toFixed(0)} | ${run.outcome}, ${findings} |`,
    );
  } else {
    console.log(
      `monitor job: ${run.outcome}, ${seconds.toFixed(2)} s, peak RSS ${(peak / 1e6).toFixed(0)} MB (${((peak - baseline) / 1e6).toFixed(0)} MB above the process before the run), ${findings} findings`,
    );
    console.log(`target: < 10 s and < 500 MB → ${seconds < 10 && peak < 500e6 ? 'met' : 'NOT met'}`);
  }
  await requestLog.close();
  await counters.quit();
} finally {
  await rm(dir, { recursive: true, force: true });
}
