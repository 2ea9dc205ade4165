/**
 * Per-IP memory growth curve (part of `npm run bench -- growth`): ipwarden runs in its own process
 * in front of a small upstream, with every per-IP feature on (request log and its hourly rollups,
 * geolocation cache, the login rate limit, live detection counters, trusted-proxy client IPs), and
 * a keep-alive client sends one request from each of N distinct client IPs (X-Forwarded-For from
 * loopback; 3 in 4 IPv4, 1 in 4 IPv6; 1 in 10 to /login). After 10k, 100k and 1M distinct IPs it
 * pauses for the batches to settle and reads ipwarden's RSS, and its peak so far (VmHWM), from
 * /proc. Target (issue 8): ≤ 300 MB after 1M distinct IPs. Usage: tsx memory-bench.ts [checkpoints, comma-separated]
 *
 * ipwarden runs compiled (`npm run -s build` first, then `node dist/server/cli/main.js`), as the
 * `ipwarden` bin and `npm start` run it: under tsx the same process started about 50 MB larger
 * (197 against 143 MB idle on 2026-12-03), which is the transpiler's, not ipwarden's.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/free-port.js';
import { noScheduledJobs } from './proxy-fixtures.js';

const CHECKPOINTS = (process.argv[2] ?? '10000,100000,1000000').split(',').map(Number);
const IN_FLIGHT = 32;
const here = import.meta.dirname;
const root = path.resolve(here, '../..');

const hex = (n: number) => (n & 0xffff).toString(16);
/** The i-th distinct client IP (public ranges, so geolocation does real lookups). */
const clientIp = (i: number) =>
  i % 4 === 3
    ? `2a01:4f8:${hex(i >>> 16)}:${hex(i)}::1`
    : `${11 + ((i >>> 16) % 200)}.${(i >>> 8) & 255}.${i & 255}.${7 + (i % 3)}`;

function start(file: string, args: string[], ready: (line: string) => boolean): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(file, args, {
      execArgv: file.endsWith('.ts') ? ['--import', 'tsx'] : [],
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    child.once('exit', (code) => reject(new Error(`${path.basename(file)} exited with ${code}`)));
    child.on('message', (m) => m === 'ready' && resolve(child));
    child.stdout?.on('data', (chunk: Buffer) => ready(chunk.toString()) && resolve(child));
  });
}

/** The process's resident set now and its peak so far (`VmHWM`), in MB. */
async function rssMb(pid: number): Promise<{ now: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]);
  return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Sends requests `from` … `to - 1`, IN_FLIGHT at a time; resolves with non-2xx/429 answers. */
async function send(port: number, agent: http.Agent, from: number, to: number): Promise<number> {
  let next = from;
  let odd = 0;
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          agent,
          path: i % 10 === 0 ? '/login' : `/page/${i % 50}`,
          headers: { 'x-forwarded-for': clientIp(i), 'user-agent': 'memory-bench' },
        },
        (res) => {
          if (res.statusCode !== 200 && res.statusCode !== 429) odd++;
          res.resume().on('end', resolve);
        },
      );
      req.on('error', reject).end();
    });
  const worker = async () => {
    while (next < to) await one(next++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return odd;
}

execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] }); // throws with its stderr
const work = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-memory-bench-'));
const children: ChildProcess[] = [];
try {
  const upstreamPort = await freePort();
  children.push(await start(path.join(here, 'upstream-server.ts'), [String(upstreamPort)], () => false));
  const port = await freePort();
  const ipw = await start(
    path.join(root, 'dist/server/cli/main.js'),
    [
      ...(await noScheduledJobs(work)),
      'start',
      '--upstream',
      `http://127.0.0.1:${upstreamPort}`,
      '--listen',
      `127.0.0.1:${port}`,
      '--admin',
      `127.0.0.1:${await freePort()}`,
      '--data-dir',
      path.join(work, 'data'),
      '--trust-proxy',
      'loopback',
      '--log-level',
      'warn',
    ],
    (line) => line.includes('data dir'),
  );
  children.push(ipw);
  const pid = ipw.pid as number;
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  console.log(`| distinct client IPs | ipwarden RSS MB | peak RSS so far MB | requests/s | odd answers |`);
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  const baseline = await rssMb(pid);
  console.log(`| 0 (started, idle) | ${baseline.now.toFixed(0)} | ${baseline.peak.toFixed(0)} | — | — |`);
  let sent = 0;
  for (const checkpoint of CHECKPOINTS) {
    const started = performance.now();
    const odd = await send(port, agent, sent, checkpoint);
    const rps = (checkpoint - sent) / ((performance.now() - started) / 1000);
    sent = checkpoint;
    await new Promise((resolve) => setTimeout(resolve, 3000)); // log flush, live-detection batches
    const rss = await rssMb(pid);
    console.log(
      `| ${checkpoint.toLocaleString('en')} | ${rss.now.toFixed(0)} | ${rss.peak.toFixed(0)} | ${rps.toFixed(0)} | ${odd} |`,
    );
  }
  agent.destroy();
  console.log('target (issue 8): ≤ 300 MB RSS after 1,000,000 distinct client IPs');
} finally {
  for (const child of children) {
    child.removeAllListeners('exit');
    child.kill('SIGTERM');
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  await rm(work, { recursive: true, force: true });
}
