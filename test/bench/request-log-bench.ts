/**
 * Request-log growth curve (part of `npm run bench -- growth`): writes N records (default 1M and
 * 10M) straight into day segments in the writer's exact format (JSON.stringify of an ECS record,
 * one per line) over the last DAYS days, up to today, from 100,000 IPs plus one busy IP (every 50th request); builds the IP indexes of
 * the closed days (timed); then times through the real query API: the newest page, one busy IP's
 * newest page, an IP seen only on the oldest day, and an IP never seen (every segment searched).
 * Each query is run 5 times; the table shows the best and the worst. Targets (issue 8): newest page
 * ≤ 100 ms, one IP ≤ 1 s at 10M. Usage: tsx request-log-bench.ts [sizes, comma-separated]
 */
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRequestLog, type RequestQuery } from '../../server/store/index.js';
import { queryRequests } from '../../server/store/request-query.js';

const SIZES = (process.argv[2] ?? '1000000,10000000').split(',').map(Number);
const DAYS = 30;
const IPS = 100_000;
const DAY_MS = 86_400_000;
const PATHS = ['/', '/blog/', '/about', '/feed.xml', '/img/logo.png', '/login', '/admin/', '/search'];
const LONE_IP = '203.0.113.77';
const UNSEEN_IP = '198.51.100.1';
/** Sends every 50th request: its newest page lies in today's segment. */
const BUSY_IP = '192.0.2.10';

const ipOf = (n: number) => `${20 + (n % 200)}.${(n >> 8) & 255}.${n & 255}.${(n >> 16) & 255}`;

/** Writes `count` records over DAYS days ending now; the first record of the oldest day is LONE_IP's. */
async function writeSegments(dir: string, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const end = Date.now() - 60_000;
  const start = Math.floor((end - (DAYS - 1) * DAY_MS) / DAY_MS) * DAY_MS;
  const step = (end - start) / count;
  let day = '';
  let handle: Awaited<ReturnType<typeof open>> | null = null;
  let lines: string[] = [];
  const flush = async () => {
    if (handle !== null && lines.length > 0) await handle.write(`${lines.join('\n')}\n`);
    lines = [];
  };
  for (let i = 0; i < count; i++) {
    const at = new Date(start + i * step).toISOString();
    if (at.slice(0, 10) !== day) {
      await flush();
      await handle?.close();
      day = at.slice(0, 10);
      handle = await open(path.join(dir, `${day}.ndjson`), 'w');
    }
    const ip = i === 0 ? LONE_IP : i % 50 === 0 ? BUSY_IP : ipOf((i * 7919) % IPS);
    lines.push(
      JSON.stringify({
        '@timestamp': at,
        source: { ip, geo: { country_iso_code: 'DE', country_name: 'Germany', city_name: 'Berlin' } },
        http: { request: { method: 'GET' }, response: { status_code: i % 17 === 0 ? 404 : 200 } },
        url: { path: PATHS[i % PATHS.length] },
        user_agent: { original: 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0' },
        event: { action: 'allowed', duration: 1_834_211 + (i % 1000) },
      }),
    );
    if (lines.length === 10_000) await flush();
  }
  await flush();
  await handle?.close();
}

async function timeQuery(
  log: Awaited<ReturnType<typeof createRequestLog>>,
  query: RequestQuery,
  expect: (n: number) => boolean,
): Promise<string> {
  const times: number[] = [];
  for (let run = 0; run < 5; run++) {
    const started = performance.now();
    const page = await log.query(query);
    times.push(performance.now() - started);
    if (!expect(page.records.length))
      throw new Error(`unexpected ${page.records.length} records for ${JSON.stringify(query)}`);
  }
  return `${Math.min(...times).toFixed(1)}–${Math.max(...times).toFixed(1)}`;
}

console.log(
  '| records | segments | MB | write s | index build s | newest page ms | busy IP ms | IP on oldest day only ms | unseen IP ms | unseen IP, no index ms |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const size of SIZES) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-log-bench-'));
  try {
    const requests = path.join(dir, 'requests');
    const writeStart = performance.now();
    await writeSegments(requests, size);
    const writeSeconds = (performance.now() - writeStart) / 1000;
    // The same query without IP indexes (a full scan), once, before the log starts building them.
    const scanStart = performance.now();
    await queryRequests(requests, { ip: UNSEEN_IP });
    const scanMs = performance.now() - scanStart;
    const log = await createRequestLog({ dir: requests });
    const indexStart = performance.now();
    await log.buildIpIndexes();
    const indexSeconds = (performance.now() - indexStart) / 1000;
    const segments = await log.listSegments();
    const mb = segments.reduce((n, s) => n + s.bytes, 0) / 1e6;
    const cells = [
      await timeQuery(log, {}, (n) => n === 100),
      await timeQuery(log, { ip: BUSY_IP }, (n) => n === 100),
      await timeQuery(log, { ip: LONE_IP }, (n) => n === 1),
      await timeQuery(log, { ip: UNSEEN_IP }, (n) => n === 0),
    ];
    console.log(
      `| ${size.toLocaleString('en')} | ${segments.length} | ${mb.toFixed(0)} | ${writeSeconds.toFixed(1)} | ${indexSeconds.toFixed(1)} | ${cells.join(' | ')} | ${scanMs.toFixed(0)} |`,
    );
    await log.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
console.log('targets (issue 8) at 10M: newest page ≤ 100 ms, one IP ≤ 1,000 ms (times: best–worst of 5)');
