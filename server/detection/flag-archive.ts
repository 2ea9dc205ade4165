import { open } from 'node:fs/promises';
import type { AuditEntry, Flag, State, StateStore } from '../store/index.js';

/**
 * Moves ended flags last seen before `cutoffMs` (epoch ms; the request log's retention) out of the
 * state file into `file`, an append-only NDJSON archive (mode 0600), so the state, rewritten at every
 * commit, does not grow with every flag ever raised. The lines are on disk (fsync) before the state
 * drops the flags: a crash in between leaves a flag in both, never in neither. Active flags are never
 * touched. Returns how many flags were archived.
 * @throws the file system's error when the archive cannot be written (the state is then unchanged).
 */
export async function archiveEndedFlags(state: StateStore, cutoffMs: number, file: string): Promise<number> {
  const ended = state.data.flags.filter((f) => !f.is_active && Date.parse(f.last_seen) < cutoffMs);
  return moveToArchive(state, ended, file, (draft, gone) => {
    draft.flags = draft.flags.filter((f) => !gone.has(f));
  });
}

/** The audit actions detection writes by itself, one per flag raised and one per flag expired. */
const DETECTION_ACTIONS: ReadonlySet<string> = new Set(['flag', 'unflag']);

/**
 * Moves the audit entries detection wrote by itself (`flag`, `unflag`) older than `cutoffMs` to
 * `file` (NDJSON, 0600), as {@link archiveEndedFlags} does for flags: a flood of flagged addresses
 * adds two entries per address. Operators' decisions (blocks, unblocks, dismissals, settings) stay:
 * unblocks and dismissals are read back from the trail (auto-block, cluster resync, dismissals).
 * Returns how many entries were archived.
 * @throws the file system's error when the archive cannot be written (the state is then unchanged).
 */
export async function archiveDetectionAudit(
  state: StateStore,
  cutoffMs: number,
  file: string,
): Promise<number> {
  const old = state.data.audit.filter((e) => DETECTION_ACTIONS.has(e.action) && Date.parse(e.at) < cutoffMs);
  return moveToArchive(state, old, file, (draft, gone) => {
    draft.audit = draft.audit.filter((e) => !gone.has(e));
  });
}

/**
 * Appends `items` to `file`, then has `drop` remove them from a state draft. Elements are shared
 * between commits (state-draft.ts), so the items are found again by identity. Returns their count.
 */
async function moveToArchive<T extends Flag | AuditEntry>(
  state: StateStore,
  items: readonly T[],
  file: string,
  drop: (draft: State, gone: ReadonlySet<T>) => void,
): Promise<number> {
  if (items.length === 0) return 0;
  await appendSynced(file, items);
  const gone = new Set<T>(items);
  await state.update((draft) => drop(draft, gone));
  return items.length;
}

/**
 * Appends one JSON line per item to `file` (created 0600) and syncs it to disk. A line cut short by
 * an earlier failed append (a full disk, a crash) is cut off first: its items are still in the state
 * (it drops them only after a complete append), so this append writes them again, whole.
 */
async function appendSynced(file: string, items: readonly unknown[]): Promise<void> {
  const handle = await open(file, 'a+', 0o600);
  try {
    const { size, mode } = await handle.stat();
    if ((mode & 0o777) !== 0o600) await handle.chmod(0o600); // client addresses: the operator's eyes only
    const complete = size > 0 ? await completeLength(handle, size) : 0;
    if (complete < size) await handle.truncate(complete);
    try {
      await handle.appendFile(items.map((item) => `${JSON.stringify(item)}\n`).join(''));
      await handle.sync();
    } catch (err) {
      // The items stay in the state and are appended again next time: none of this attempt may stay.
      await handle.truncate(complete).catch(() => undefined);
      throw err;
    }
  } finally {
    await handle.close();
  }
}

/** The length of the file's complete lines: up to and including its last newline. */
async function completeLength(handle: import('node:fs/promises').FileHandle, size: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024);
  for (let end = size; end > 0; end -= chunk.length) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await handle.read(chunk, 0, end - start, start);
    const newline = chunk.subarray(0, bytesRead).lastIndexOf(10);
    if (newline !== -1) return start + newline + 1;
  }
  return 0;
}
