import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { link, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { holderIsAlive, type LockHolder, parseHolder, processStartMark, readHolder } from './lock-holder.js';

export type { LockHolder } from './lock-holder.js';

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

/** Waiting for a data dir another process holds (see {@link lockDataDir}). */
export interface LockWait {
  /** How long to wait at most (ms). */
  waitMs: number;
  /** Whether this holder is worth waiting for (default: any); otherwise refuse at once. */
  waitFor?: (holder: LockHolder) => boolean;
  /** Told once, when the wait begins. */
  onWait?: (holder: LockHolder) => void;
}

const LOCK_FILE = 'ipwarden.lock';
/** Rounds of "create, else take a stale lock over" before giving up (20 ms apart while another takes over). */
const TAKEOVER_ROUNDS = 50;

/** Lock files held by this process, by path: a second holder in one process is refused too. */
const heldHere = new Map<string, LockHolder>();

/**
 * Takes the data dir for one process, so that two never write its state file and request log at
 * once (each would overwrite the other's blocks, flags and settings with what it holds in memory).
 * The lock is `<data-dir>/ipwarden.lock`, created exclusively (a hard link) and holding the pid and,
 * on Linux, which process that pid was. A lock whose process is gone (a crash, `kill -9`, a
 * reboot) or that cannot be read is taken over (see {@link acquire}: of several processes taking
 * over one stale lock, only one wins). With `wait`, a live holder it accepts is
 * waited for. The lock file is removed at {@link DataDirLock.release} and, failing that, when the
 * process exits. A missing data dir is created (mode 0700).
 * @throws DataDirLockedError naming the holder when a live process holds it (after `wait.waitMs`).
 */
export async function lockDataDir(dataDir: string, purpose: string, wait?: LockWait): Promise<DataDirLock> {
  const deadline = Date.now() + (wait?.waitMs ?? 0);
  let told = false;
  for (;;) {
    try {
      return await tryLock(dataDir, purpose);
    } catch (err) {
      if (!(err instanceof DataDirLockedError) || wait === undefined || Date.now() >= deadline) throw err;
      if (wait.waitFor !== undefined && !wait.waitFor(err.holder)) throw err;
      if (!told) wait.onWait?.(err.holder);
      told = true;
    }
    await sleep(100);
  }
}

async function tryLock(dataDir: string, purpose: string): Promise<DataDirLock> {
  const file = path.join(path.resolve(dataDir), LOCK_FILE);
  const started = processStartMark(process.pid);
  const holder: LockHolder = {
    pid: process.pid,
    purpose,
    since: new Date().toISOString(),
    token: randomUUID(),
    ...(started === null ? {} : { started }),
  };
  const here = heldHere.get(file);
  if (here !== undefined) throw new DataDirLockedError(dataDir, here);
  // Owner only, as `ipwarden start` makes it (client IPs are personal data).
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await acquire(dataDir, file, holder);
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
 * Creates the lock for `holder`. A stale lock is removed only under a second, short-lived lock
 * (`ipwarden.lock.takeover`), after checking it is still the stale one: of several processes taking
 * over one stale lock, exactly one removes it, and no live lock is ever removed.
 * @throws DataDirLockedError
 */
async function acquire(dataDir: string, file: string, holder: LockHolder): Promise<void> {
  const text = `${JSON.stringify(holder)}\n`;
  const temp = `${file}.${process.pid}.${holder.token}`;
  const takeover = `${file}.takeover`;
  for (let round = 0; round < TAKEOVER_ROUNDS; round++) {
    if (await createExclusive(file, text, temp)) return;
    const stale = await readHolder(file);
    if (stale !== null && holderIsAlive(stale)) throw new DataDirLockedError(dataDir, stale);
    if (await createExclusive(takeover, text, temp)) {
      try {
        const still = await readHolder(file);
        if (still?.token === stale?.token) await rm(file, { force: true });
      } finally {
        await rm(takeover, { force: true });
      }
    } else {
      await clearStaleTakeover(takeover);
      await sleep(20); // another process is taking over: see what it left
    }
  }
  const now = await readHolder(file);
  throw new DataDirLockedError(dataDir, now ?? { ...holder, pid: -1, purpose: 'another process' });
}

/** How old a takeover lock whose process is gone must be before it is removed (ms). */
const STALE_TAKEOVER_MS = 5_000;

/** Removes a takeover lock left by a process that died while taking over (rare: a crash in a few ms). */
async function clearStaleTakeover(takeover: string): Promise<void> {
  const left = await readHolder(takeover);
  if (left !== null && holderIsAlive(left)) return;
  const age = await stat(takeover).then(
    (s) => Date.now() - s.mtimeMs,
    () => 0,
  );
  if (age > STALE_TAKEOVER_MS) await rm(takeover, { force: true });
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
