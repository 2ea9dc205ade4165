import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.js';
import {
  AccessLists,
  CorruptStateError,
  type DataDirLock,
  DataDirLockedError,
  lockDataDir,
  OperatorAddresses,
  openStateStore,
  type StateStore,
} from '../store/index.js';
import { type AdminClient, CliError, connectToRunningAppliance } from './admin-client.js';
import type { CliContext } from './context.js';

/** How a command reaches the data dir: through the running appliance, or on the files under a lock. */
export type DataDirAccess =
  | { client: AdminClient; lock?: undefined }
  | { client?: undefined; lock: DataDirLock };

/** How long a command waits for the process holding the data dir (an appliance starting, another command). */
const WAIT_MS = 10_000;

/**
 * The running appliance's admin API for `dataDir`, or, when none runs, the data dir locked for
 * this command (see lockDataDir): a command never edits the files behind another process's back,
 * which would then overwrite the change from memory. While another process holds the data dir
 * without an admin API yet (starting) or for a command of its own, this waits for it (`waitMs`, 10 s).
 * Says once on stderr that it waits. Release the lock when done.
 * @throws CliError naming the process that still holds the data dir after `waitMs`.
 */
export async function reachDataDir(
  cli: CliContext,
  dataDir: string,
  purpose: string,
  waitMs = WAIT_MS,
): Promise<DataDirAccess> {
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    const client = await connectToRunningAppliance(dataDir);
    if (client) return { client };
    try {
      return { lock: await lockDataDir(dataDir, purpose) };
    } catch (err) {
      if (!(err instanceof DataDirLockedError)) throw err;
      if (Date.now() >= deadline)
        throw new CliError(`${err.message}; try again when it has started or finished`);
      if (!told) cli.err(`ipwarden: waiting: ${err.message}\n`);
      told = true;
    }
    await sleep(100);
  }
}

/**
 * Opens the state for a command working on the files (the data dir locked by {@link reachDataDir}).
 * A corrupt file is moved aside, as `start` does, and reported on stderr.
 */
export async function openLocalState(cli: CliContext, dataDir: string): Promise<StateStore> {
  const state = await openStateStore({ dataDir });
  if (state.corruption) {
    const { file, problem, movedTo } = state.corruption;
    cli.err(
      `ipwarden: warning: ${file} was corrupt (${problem}); it was moved to ${movedTo} and an empty state was started\n`,
    );
  }
  return state;
}

/**
 * The lists of a command working on the files, guarding the operator's addresses as `start` does:
 * loopback and the admin address (`--admin`), so a block covering them needs `--force` here too.
 */
export function localAccessLists(state: StateStore, config: Pick<Config, 'admin'>): AccessLists {
  return new AccessLists(state, Date.now, new OperatorAddresses([config.admin.host]));
}

/**
 * Refuses a data dir that does not exist, for a command that only reads or removes: a forgotten or
 * mistyped `--data-dir` must not answer "empty" from a directory made up on the spot.
 * @throws CliError naming the directory.
 */
export function requireDataDir(dataDir: string): void {
  if (!existsSync(dataDir)) {
    throw new CliError(
      `no data dir at ${dataDir}: give the one ipwarden uses with --data-dir (or IPWARDEN_DATA_DIR)`,
    );
  }
}

/** What a command that changed the files says, so a change made beside the running ipwarden is noticed. */
export function changedFilesNote(dataDir: string): string {
  return `ipwarden is not running on ${dataDir}: the change is saved in its state file and applies when ipwarden starts there\n`;
}

/**
 * Opens the state to read only (an export, a backtest): nothing is created, moved or written.
 * @throws CliError naming the file when it is corrupt, or the data dir when it does not exist.
 */
export async function readLocalState(dataDir: string): Promise<StateStore> {
  requireDataDir(dataDir);
  try {
    return await openStateStore({ dataDir, readOnly: true });
  } catch (err) {
    if (err instanceof CorruptStateError) throw new CliError(err.message);
    throw err;
  }
}
