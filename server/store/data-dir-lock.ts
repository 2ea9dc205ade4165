import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Who holds a data dir: written into `<data-dir>/ipwarden.lock` as JSON. */
export interface LockHolder {
  pid: number;
  /** What holds it: `start`, or a CLI command working on the files (`cli block`). */
  purpose: string;
  /** When it was taken, ISO 8601. */
  since: string;
  /** Tells this holder's lock from an earlier one with the same pid (a restarted container). */
  token: string;
}

/** The data dir is held by another live process (or by another part of this one). */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `the data dir ${dataDir} is in use by ${holder.purpose === 'start' ? 'ipwarden' : `ipwarden ${holder.purpose}`} (pid ${holder.pid}, since ${holder.since})`,
    );
  }
}

/** A held data-dir lock. */
export interface DataDirLock {
  readonly holder: LockHolder;
  /** Gives the data dir up (removes the lock file if it is still this holder's). Idempotent. */
  release(): Promise<void>;
}

const LOCK_FILE = 'ipwarden.lock';

/** Lock files held by this process, by path: a second holder in one process is refused too. */
const heldHere = new Map<string, LockHolder>();

/**
 * Takes the data dir for one process, so that two never write its state file and request log at
 * once (each would overwrite the other's blocks, flags and settings with what it holds in memory).
 * The lock is `<data-dir>/ipwarden.lock`, created exclusively (a hard link) and holding the pid. A lock
 * whose process is gone (a crash, `kill -9`) or that cannot be read is taken over at once. The
 * lock file is removed at {@link DataDirLock.release} and, failing that, when the process exits.
 * A missing data dir is created (mode 0700).
 * @throws DataDirLockedError naming the holder when a live process holds it.
 */
export async function lockDataDir(dataDir: string, purpose: string): Promise<DataDirLock> {
  const file = path.join(path.resolve(dataDir), LOCK_FILE);
  const holder: LockHolder = {
    pid: process.pid,
    purpose,
    since: new Date().toISOString(),
    token: randomUUID(),
  };
  const text = `${JSON.stringify(holder)}\n`;
  const here = heldHere.get(file);
  if (here !== undefined) throw new DataDirLockedError(dataDir, here);
  // Owner only, as `ipwarden start` makes it (client IPs are personal data).
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${holder.token}`;
  if (!(await createExclusive(file, text, temp))) {
    const current = await readHolder(file);
    if (current !== null && current.token !== holder.token && isAlive(current.pid)) {
      throw new DataDirLockedError(dataDir, current);
    }
    // Stale: replace it whole (a rename), then make sure no other process replaced it meanwhile.
    // Two processes taking over the same stale lock within the same instant could both succeed.
    await writeFile(temp, text, { mode: 0o600 });
    await rename(temp, file);
    const now = await readHolder(file);
    if (now?.token !== holder.token) {
      throw new DataDirLockedError(dataDir, now ?? { ...holder, pid: -1, purpose: 'another process' });
    }
  }
  heldHere.set(file, holder);
  const onExit = () => releaseSync(file, holder);
  process.once('exit', onExit);
  let released = false;
  return {
    holder,
    async release() {
      if (released) return;
      released = true;
      process.removeListener('exit', onExit);
      heldHere.delete(file);
      if ((await readHolder(file))?.token === holder.token) await rm(file, { force: true });
    },
  };
}

/**
 * Creates `file` holding `text` unless it exists; false when it does. The file appears whole (a
 * hard link to a written temp file), so a reader never finds a holder's lock empty.
 */
async function createExclusive(file: string, text: string, temp: string): Promise<boolean> {
  await writeFile(temp, text, { mode: 0o600 });
  try {
    await link(temp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(temp, { force: true });
  }
}

/** The holder written in `file`, or null when it is missing or unreadable (then it holds nothing). */
async function readHolder(file: string): Promise<LockHolder | null> {
  return parseHolder(await readFile(file, 'utf8').catch(() => ''));
}

function parseHolder(text: string): LockHolder | null {
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
  };
}

/** The lock's process is running. Our own pid in a lock we do not hold is an earlier process's. */
function isAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** At exit (no stop, no release): removes the lock file if it is still this holder's. */
function releaseSync(file: string, holder: LockHolder): void {
  heldHere.delete(file);
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return; // already gone
  }
  if (parseHolder(text)?.token === holder.token) rmSync(file, { force: true });
}
