/** Fixtures of the proxy bench: real client IPs, a seeded blocklist, child processes, record counts. */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { APACHE_LOGS, parseCombined } from '../helpers/combined-log.js';

/** Distinct client IPs from the real access log, to exercise geolocation and the blocklist. */
export async function realClientIps(count: number): Promise<string[]> {
  const text = await readFile(APACHE_LOGS, 'utf8');
  const ips = new Set<string>();
  for (const line of text.split('\n')) {
    const parsed = parseCombined(line);
    if (parsed) ips.add(parsed.ip);
    if (ips.size >= count) break;
  }
  return [...ips];
}

/**
 * Writes a state file with `total` blocks, `cidrs` of them /24 ranges, all in 240.0.0.0/4 (reserved
 * space), so none covers the replayed real client IPs and every request is looked up and let through.
 */
export async function seedBlocklist(dataDir: string, total: number, cidrs: number): Promise<void> {
  await mkdir(dataDir, { recursive: true });
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

/**
 * Writes a config file in `dir` that turns the scheduled jobs off and returns the global flags that
 * load it (`--config FILE`, before the command): the hourly monitor (:01) and report (:05) would land
 * in whichever round of a bench crosses those minutes, and their cost is the monitor bench's.
 */
export async function noScheduledJobs(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'bench-config.json');
  await writeFile(file, JSON.stringify({ schedule: false }));
  return ['--config', file];
}

/** Lines in every request-log segment under `dir`. */
export async function countRecords(dir: string): Promise<number> {
  let count = 0;
  for (const name of await readdir(dir)) {
    const text = await readFile(path.join(dir, name), 'utf8');
    count += text.split('\n').filter((l) => l !== '').length;
  }
  return count;
}

/**
 * Forks a TypeScript file (through tsx) and resolves once it sends 'ready' over IPC or prints a
 * line `readyWhen` accepts. `execArgv` adds Node flags (e.g. --cpu-prof). Rejects if it exits first.
 */
export function startChild(
  file: string,
  args: string[],
  readyWhen?: (line: string) => boolean,
  execArgv: string[] = [],
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(file, args, {
      execArgv: ['--import', 'tsx', ...execArgv],
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

/** Sends SIGTERM and waits for the child to exit (a graceful stop flushes ipwarden's request log). */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  return exited;
}
