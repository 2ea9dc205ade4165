import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** Who holds a data dir: written into `<data-dir>/ipwarden.lock` as JSON. */
export interface LockHolder {
  pid: number;
  /** What holds it: `start`, or a CLI command working on the files (`cli block`). */
  purpose: string;
  /** When it was taken, ISO 8601. */
  since: string;
  /** Tells this holder's lock from an earlier one with the same pid (a restarted container). */
  token: string;
  /**
   * Which process the pid was when the lock was taken (Linux: boot id and start time from /proc), so
   * a pid reused after a reboot or by another program is not taken for the holder; absent elsewhere.
   */
  started?: string;
}

/** The holder written in `file`, or null when it is missing or unreadable (then it holds nothing). */
export async function readHolder(file: string): Promise<LockHolder | null> {
  return parseHolder(await readFile(file, 'utf8').catch(() => ''));
}

/** A lock file's text as a holder, or null when it is not one. */
export function parseHolder(text: string): LockHolder | null {
  let parsed: Partial<LockHolder>;
  try {
    parsed = JSON.parse(text) as Partial<LockHolder>;
  } catch {
    return null; // not JSON: no process can be said to hold it
  }
  if (typeof parsed.pid !== 'number' || typeof parsed.token !== 'string') return null;
  return {
    pid: parsed.pid,
    purpose: String(parsed.purpose ?? 'unknown'),
    since: String(parsed.since ?? '?'),
    token: parsed.token,
    ...(typeof parsed.started === 'string' ? { started: parsed.started } : {}),
  };
}

/**
 * True when the holder's process still runs: its pid answers signal 0 (EPERM: it runs as another
 * user) and, where both are known, it is the same process that took the lock. Our own pid in a
 * lock we do not hold is an earlier process's.
 */
export function holderIsAlive(holder: LockHolder): boolean {
  if (holder.pid === process.pid || !processRuns(holder.pid)) return false;
  const now = processStartMark(holder.pid);
  return holder.started === undefined || now === null || now === holder.started;
}

/**
 * True when `pid` is a running process: it answers signal 0 (EPERM: it runs as another user) and,
 * on Linux, is not a zombie — a process killed with `kill -9` stays one until its parent reaps it,
 * which a container's PID 1 may never do (proc(5): state `Z` in /proc/<pid>/stat).
 */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return true; // no /proc here (macOS, Windows): signal 0 is all there is to go on
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/**
 * `<boot id>:<start time in clock ticks>` of `pid` (Linux /proc; proc(5), field 22 of
 * /proc/<pid>/stat), or null where /proc is not there (macOS, Windows) or the process is gone.
 */
export function processStartMark(pid: number): string | null {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[19]; // field 22 overall: fields[0] here is field 3
    return start === undefined ? null : `${boot}:${start}`;
  } catch {
    return null; // no /proc here, or the process is gone: nothing to compare
  }
}
