/**
 * `npm run bench [-- proxy|monitor|ui|import|growth]`: all five by default (growth: growth-bench.ts).
 *
 * proxy: throughput on loopback, bounded in time. Starts an upstream, a bare Node
 * keep-alive reverse proxy and ipwarden with every feature on (request log, geolocation of rotating
 * real client IPs, a 100,000-entry blocklist with 10,000 CIDRs, the login rate-limit rule), loads
 * each in turn with wrk and prints req/s, p50/p99 latency, the ratio ipwarden / bare, and whether
 * every response was logged. Options: BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 50).
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { APACHE_LOGS, parseCombined } from '../helpers/combined-log.js';
import { freePort } from '../helpers/free-port.js';
import { type WrkResult, writeXffScript, wrk } from './wrk.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const here = import.meta.dirname;
const root = path.resolve(here, '../..');

async function main(): Promise<void> {
  const only = process.argv[2];
  if (only !== undefined && !['proxy', 'monitor', 'ui', 'import', 'growth'].includes(only)) {
    console.error(`unknown bench ${JSON.stringify(only)}: expected proxy, monitor, ui, import or growth`);
    process.exit(2);
  }
  const child = (file: string) =>
    execFileSync(process.execPath, ['--import', 'tsx', path.join(here, file)], { stdio: 'inherit' });
  if (only === undefined || only === 'proxy') await proxyBench();
  if (only === undefined || only === 'monitor') {
    console.log('\n## monitor job over 1,000,000 requests from 50,000 IPs');
    child('monitor-bench.ts');
  }
  if (only === undefined || only === 'ui') {
    console.log('\n## operator UI dashboard with 1,000,000 logged requests (needs Chromium)');
    child('ui-load-bench.ts');
  }
  if (only === undefined || only === 'import') {
    console.log('\n## import of 500,000 combined-format lines');
    child('import-bench.ts');
  }
  if (only === undefined || only === 'growth') child('growth-bench.ts');
}

async function proxyBench(): Promise<void> {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      console.error('npm run bench needs wrk: apt-get install wrk');
      process.exit(1);
    }
  }
  const work = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-bench-'));
  const children: ChildProcess[] = [];
  try {
    const ips = await realClientIps(1000);
    const script = await writeXffScript(work, ips);
    const upstreamPort = await freePort();
    children.push(await startChild(path.join(here, 'upstream-server.ts'), [String(upstreamPort)]));
    const upstream = `http://127.0.0.1:${upstreamPort}`;

    const direct = await measure('direct upstream', `${upstream}/`, script);
    const barePort = await freePort();
    const bare = children[
      children.push(await startChild(path.join(here, 'bare-proxy.ts'), [String(barePort), upstream])) - 1
    ] as ChildProcess;
    const bareResult = await measure('bare Node proxy (keep-alive)', `http://127.0.0.1:${barePort}/`, script);
    bare.kill();

    const dataDir = path.join(work, 'data');
    await seedBlocklist(dataDir, 100_000, 10_000);
    const ipwPort = await freePort();
    const ipw = await startChild(
      path.join(root, 'server/cli/main.ts'),
      [
        'start',
        '--upstream',
        upstream,
        '--listen',
        `127.0.0.1:${ipwPort}`,
        '--admin',
        `127.0.0.1:${await freePort()}`,
        '--data-dir',
        dataDir,
        '--trust-proxy',
        'loopback',
        '--log-level',
        'warn',
      ],
      (line) => line.includes('data dir'),
    );
    const ipwResult = await measure('ipwarden, every feature on', `http://127.0.0.1:${ipwPort}/`, script);
    const exited = new Promise((resolve) => ipw.once('exit', resolve));
    ipw.kill('SIGTERM');
    await exited;
    const logged = await countRecords(path.join(dataDir, 'requests'));

    console.log('\n| target | req/s | p50 ms | p99 ms | requests | errors |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const [name, r] of [
      ['direct upstream', direct],
      ['bare Node proxy (keep-alive)', bareResult],
      ['ipwarden, every feature on', ipwResult],
    ] as const) {
      console.log(
        `| ${name} | ${Math.round(r.rps)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.requests} | ${r.errors} |`,
      );
    }
    console.log(
      `\nipwarden / bare proxy throughput: ${(ipwResult.rps / bareResult.rps).toFixed(2)} (target ≥ 0.9)`,
    );
    const sent = ipwResult.requests + ipwResult.warmupRequests;
    console.log(
      `request log: ${logged} records for ${sent} responses wrk counted, warm-up included (requests in flight when wrk stops are logged too) → ${logged >= sent ? 'none lost' : `${sent - logged} LOST`}`,
    );
    console.log(
      `machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model}, Node ${process.version}; wrk -t1 -c${CONNECTIONS} -d${SECONDS}s`,
    );
  } finally {
    for (const child of children) child.kill();
    await rm(work, { recursive: true, force: true });
  }
}

async function measure(
  name: string,
  url: string,
  script: string,
): Promise<WrkResult & { warmupRequests: number }> {
  const warmup = await wrk(url, script, 2, CONNECTIONS); // JIT, keep-alive pools, caches
  const result = { ...(await wrk(url, script, SECONDS, CONNECTIONS)), warmupRequests: warmup.requests };
  console.log(
    `${name}: ${Math.round(result.rps)} req/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms`,
  );
  return result;
}

/** Distinct client IPs from the real access log, to exercise geolocation and the blocklist. */
async function realClientIps(count: number): Promise<string[]> {
  const text = await readFile(APACHE_LOGS, 'utf8');
  const ips = new Set<string>();
  for (const line of text.split('\n')) {
    const parsed = parseCombined(line);
    if (parsed) ips.add(parsed.ip);
    if (ips.size >= count) break;
  }
  return [...ips];
}

/** A state file with `total` blocks, `cidrs` of them ranges, none covering the replayed client IPs' /8s 66, 83 … (TEST-NET-style 240.0.0.0/4 space). */
async function seedBlocklist(dataDir: string, total: number, cidrs: number): Promise<void> {
  await import('node:fs/promises').then((fs) => fs.mkdir(dataDir, { recursive: true }));
  const createdAt = new Date().toISOString();
  const blocks = [];
  for (let i = 0; i < total; i++) {
    const a = 240 + (i % 15);
    const target =
      i < cidrs
        ? `${a}.${(i >> 8) & 255}.${i & 255}.0/24`
        : `${a}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    blocks.push({ target, reason: 'bench', createdAt, createdBy: 'bench', expiresAt: null });
  }
  const state = { version: 1, blocks, allowlist: [], flags: [], settings: {}, audit: [], jobRuns: [] };
  await writeFile(path.join(dataDir, 'state.json'), JSON.stringify(state));
}

async function countRecords(dir: string): Promise<number> {
  let count = 0;
  for (const name of await readdir(dir)) {
    const text = await readFile(path.join(dir, name), 'utf8');
    count += text.split('\n').filter((l) => l !== '').length;
  }
  return count;
}

function startChild(
  file: string,
  args: string[],
  readyWhen?: (line: string) => boolean,
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(file, args, {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${path.basename(file)} exited with ${code}`)));
    child.on('message', (m) => m === 'ready' && resolve(child));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (readyWhen?.(chunk.toString())) resolve(child);
    });
  });
}

await main();
