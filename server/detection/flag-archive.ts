import { open } from 'node:fs/promises';
import type { Flag, StateStore } from '../store/index.js';

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
  if (ended.length === 0) return 0;
  const handle = await open(file, 'a', 0o600);
  try {
    await handle.writeFile(ended.map((f) => `${JSON.stringify(f)}\n`).join(''));
    await handle.sync();
  } finally {
    await handle.close();
  }
  // Elements are shared between commits (state-draft.ts): these objects are the flags archived.
  const archived = new Set<Flag>(ended);
  await state.update((draft) => {
    draft.flags = draft.flags.filter((f) => !archived.has(f));
  });
  return ended.length;
}
