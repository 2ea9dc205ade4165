/** The targets of the proxy bench, each a child process on a free 127.0.0.1 port. */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../helpers/free-port.js';
import { processCpuMs } from './process-cpu.js';
import { noScheduledJobs, seedBlocklist, startChild, stopChild } from './proxy-fixtures.js';

const here = import.meta.dirname;
const root = path.resolve(here, '../..');

/** A running target: its URL, its process, the CPU time (ms) its processes have used so far, how to stop it. */
export interface Target {
  name: string;
  url: string;
  pid: number;
  cpuMs(): number | null;
  stop(): Promise<void>;
}

/** The upstream that answers every request with a small fixed page. */
export async function startUpstream(): Promise<Target> {
  const port = await freePort();
  const child = await startChild(path.join(here, 'upstream-server.ts'), [String(port)]);
  return childTarget('direct upstream', port, child);
}

/** A bare Node reverse proxy with a keep-alive agent: no logging, no checks (bare-proxy.ts). */
export async function startBareProxy(upstream: string, cpuProfileDir?: string): Promise<Target> {
  const port = await freePort();
  const child = await startChild(
    path.join(here, 'bare-proxy.ts'),
    [String(port), upstream],
    undefined,
    cpuProfileArgs(cpuProfileDir),
  );
  return childTarget('bare Node proxy (keep-alive)', port, child);
}

/** The same bare proxy forwarding through undici's Pool, as ipwarden does (bare-undici-proxy.ts). */
export async function startBareUndiciProxy(upstream: string): Promise<Target> {
  const port = await freePort();
  const child = await startChild(path.join(here, 'bare-undici-proxy.ts'), [String(port), upstream]);
  return childTarget('bare Node proxy, undici client', port, child);
}

/**
 * ipwarden with every feature on: the request log, geolocation (bundled database), a blocklist of
 * `blocks` entries (`cidrs` of them ranges), the seeds' login rate-limit rule and live detection
 * (in-process windows: no `--redis`). X-Forwarded-For is trusted from loopback so wrk can rotate client IPs.
 * The scheduled jobs are off (`schedule: false`): their cost is the monitor bench's.
 * `cpuProfileDir` runs it under `node --cpu-prof` (the profile is written when it stops).
 */
export async function startIpwarden(
  upstream: string,
  dataDir: string,
  options: { blocks: number; cidrs: number; cpuProfileDir?: string },
): Promise<Target> {
  await seedBlocklist(dataDir, options.blocks, options.cidrs);
  const noJobs = await noScheduledJobs(dataDir);
  const port = await freePort();
  const args = [
    ...noJobs,
    'start',
    ...['--upstream', upstream, '--listen', `127.0.0.1:${port}`],
    ...['--admin', `127.0.0.1:${await freePort()}`, '--data-dir', dataDir],
    ...['--trust-proxy', 'loopback', '--log-level', 'warn'],
  ];
  const child = await startChild(
    path.join(root, 'server/cli/main.ts'),
    args,
    (line) => line.includes('data dir'),
    cpuProfileArgs(options.cpuProfileDir),
  );
  return childTarget('ipwarden, every feature on', port, child);
}

function childTarget(name: string, port: number, child: ChildProcess): Target {
  return {
    name,
    url: `http://127.0.0.1:${port}/`,
    pid: child.pid as number,
    cpuMs: () => processCpuMs(child.pid as number),
    stop: () => stopChild(child),
  };
}

function cpuProfileArgs(dir: string | undefined): string[] {
  return dir
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${dir}`,
        ...(process.env.BENCH_CPU_PROF_INTERVAL
          ? [`--cpu-prof-interval=${process.env.BENCH_CPU_PROF_INTERVAL}`]
          : []),
      ]
    : [];
}
