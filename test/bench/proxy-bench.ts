/**
 * `npm run bench -- proxy`: proxy throughput and latency on loopback, bounded in time (issue 8).
 *
 * Targets, each loaded with the same wrk load in interleaved rounds so a noisy neighbour hits them
 * alike: the upstream alone; a bare Node keep-alive reverse proxy; nginx `proxy_pass` with a
 * keep-alive upstream (Debian's nginx, skipped with a message when absent); the bare proxy
 * forwarding through undici, as ipwarden does; ipwarden with every feature on. Before the rounds, ipwarden is loaded until live detection has flagged the replayed
 * client IPs (see detectionWarmup). Then an open-loop fixed-rate load (paced-client.ts) against the
 * upstream, ipwarden and the two bare proxies for the latency each hop adds. Finally ipwarden stops and every response
 * must be in its request log.
 */
import { execFile as execFileCb, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { nginxVersion, startNginx } from './nginx-proxy.js';
import { countRecords, realClientIps } from './proxy-fixtures.js';
import { type ProxyRun, printSummary, type Summary } from './proxy-summary.js';
import {
  startBareProxy,
  startBareUndiciProxy,
  startIpwarden,
  startUpstream,
  type Target,
} from './proxy-targets.js';
import { writeXffScript, wrk } from './wrk.js';

const execFile = promisify(execFileCb);
const env = process.env;
const SECONDS = Number(env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
const RATE = Number(env.BENCH_RATE ?? 1000);
const RATE_SECONDS = Number(env.BENCH_RATE_SECONDS ?? 10);
const NGINX_WORKERS = (env.BENCH_NGINX_WORKERS ?? '1').split(',');
const here = import.meta.dirname;

/** Runs the proxy bench and prints per-run lines, then the summary table with ratios and targets. */
export async function proxyBench(): Promise<void> {
  requireWrk();
  const work = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-bench-'));
  const targets: Target[] = [];
  try {
    const ips = await realClientIps(1000);
    const script = await writeXffScript(work, ips);
    const ipsFile = path.join(work, 'ips.txt');
    await writeFile(ipsFile, ips.join('\n'));
    const upstream = await startUpstream();
    targets.push(upstream);
    const origin = upstream.url.slice(0, -1);
    targets.push(await startBareProxy(origin));
    const nginx = nginxVersion();
    if (nginx === null) console.log('nginx is not installed (apt-get install nginx): its rows are skipped');
    else for (const workers of NGINX_WORKERS) targets.push(await startNginx(origin, work, workers));
    targets.push(await startBareUndiciProxy(origin));
    const dataDir = path.join(work, 'data');
    const ipwarden = await startIpwarden(origin, dataDir, {
      blocks: 100_000,
      cidrs: 10_000,
      cpuProfileDir: env.BENCH_CPU_PROF,
    });
    targets.push(ipwarden);

    console.log(`\n### throughput: wrk -t1 -c${CONNECTIONS}, ${ROUNDS} interleaved rounds of ${SECONDS} s`);
    let sentToIpwarden = 0;
    for (const target of targets) {
      const warm = await wrk(target.url, script, 2, CONNECTIONS); // JIT, keep-alive pools, caches
      if (target === ipwarden) sentToIpwarden += warm.requests;
    }
    sentToIpwarden += await detectionWarmup(ipwarden, dataDir, script, ips.length);
    const runs: ProxyRun[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const target of targets) {
        const run = await loadOnce(target, script, round);
        if (target === ipwarden) sentToIpwarden += run.requests;
        runs.push(run);
      }
    }

    console.log(
      `\n### added latency: ${RATE} req/s open loop for ${RATE_SECONDS} s (after 2 s), ${ROUNDS} rounds`,
    );
    const paced: Summary['paced'] = [];
    const bareProxies = targets.filter((t) => t.name.startsWith('bare'));
    for (let round = 1; round <= ROUNDS; round++) {
      // ipwarden right after the upstream, as before the floors were added: its figure is the target's.
      const direct = await pacedOnce(upstream, ipsFile);
      const proxied = await pacedOnce(ipwarden, ipsFile);
      const baselines = [];
      for (const bare of bareProxies)
        baselines.push({ name: bare.name, result: await pacedOnce(bare, ipsFile) });
      sentToIpwarden += proxied.completed;
      paced.push({ round, direct, ipwarden: proxied, baselines });
    }

    await ipwarden.stop();
    const logged = await countRecords(path.join(dataDir, 'requests'));
    printSummary({
      runs,
      paced,
      names: { direct: upstream.name, bare: targets[1]?.name ?? '', ipwarden: ipwarden.name },
      records: { logged, responses: sentToIpwarden },
      rate: RATE,
      machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model}, Node ${process.version}${nginx ? `, ${nginx}` : ''}`,
    });
    if (env.BENCH_CPU_PROF) console.log(`ipwarden's CPU profile is in ${env.BENCH_CPU_PROF}`);
  } finally {
    for (const target of targets) await target.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Loads ipwarden until live detection has flagged (high_volume, > 100 requests an hour) nearly every
 * replayed client IP, at most 90 s, so the rounds measure the steady state, not the one-off storm of
 * a thousand new flags. Returns the requests sent.
 */
async function detectionWarmup(
  ipwarden: Target,
  dataDir: string,
  script: string,
  ips: number,
): Promise<number> {
  const started = Date.now();
  let sent = 0;
  let flagged = 0;
  while (flagged < ips * 0.95 && Date.now() - started < 90_000) {
    sent += (await wrk(ipwarden.url, script, 5, CONNECTIONS)).requests;
    const state = JSON.parse(await readFile(path.join(dataDir, 'state.json'), 'utf8')) as {
      flags: unknown[];
    };
    flagged = state.flags.length;
  }
  console.log(
    `live detection warm-up: ${flagged} of ${ips} client IPs flagged after ${sent} requests in ${Math.round((Date.now() - started) / 1000)} s`,
  );
  return sent;
}

function requireWrk(): void {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      console.error('npm run bench -- proxy needs wrk: apt-get install wrk');
      process.exit(1);
    }
  }
}

/** One wrk run against `target`, with the CPU time its processes used per request (µs). */
async function loadOnce(target: Target, script: string, round: number): Promise<ProxyRun> {
  const before = target.cpuMs();
  const result = await wrk(target.url, script, SECONDS, CONNECTIONS);
  const after = target.cpuMs();
  const cpuUs = before === null || after === null ? null : ((after - before) * 1000) / result.requests;
  const run = { ...result, target: target.name, round, cpuUs };
  console.log(
    `round ${round} ${target.name}: ${Math.round(run.rps)} req/s, p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms, ${cpuUs === null ? '?' : cpuUs.toFixed(0)} µs CPU/request${run.errors ? `, ${run.errors} errors` : ''}`,
  );
  return run;
}

/** One paced-client.ts run against `target` at {@link RATE} req/s. */
async function pacedOnce(target: Target, ipsFile: string): Promise<Summary['paced'][number]['direct']> {
  const args = ['--import', 'tsx', path.join(here, 'paced-client.ts'), target.url, String(RATE)];
  args.push(String(RATE_SECONDS), '2', String(CONNECTIONS), ipsFile);
  const { stdout } = await execFile(process.execPath, args, { timeout: (RATE_SECONDS + 60) * 1000 });
  const result = JSON.parse(stdout.trim().split('\n').pop() as string);
  console.log(
    `${target.name}: p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, p99.9 ${result.p999.toFixed(2)} ms, max ${result.max.toFixed(1)} ms${result.late ? `, ${result.late} sends late by > 5 ms` : ''}${result.errors ? `, ${result.errors} errors` : ''}`,
  );
  return result;
}
