import { isUtf8 } from 'node:buffer';
import { mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Adapter } from 'lowdb';
import { Low } from 'lowdb';
import { z } from 'zod';
import { writeChunksAtomic } from './atomic-file.js';
import { createStateDraft, freezeStateElements, type StateDraft } from './state-draft.js';
import { emptyState, type State, stateSchema } from './state-schema.js';
import { StateText } from './state-text.js';

/** A write refused because the state it would write is not valid (nothing was written). */
export class InvalidStateError extends Error {
  override name = 'InvalidStateError';
}

/** A state file that is not a valid state, found by a read-only open (which moves nothing). */
export class CorruptStateError extends Error {
  override readonly name = 'CorruptStateError';
}

/** A state file that could not be read, and where it was moved. */
export interface CorruptStateReport {
  file: string;
  movedTo: string;
  problem: string;
}

/** The appliance state (blocks, allowlist, flags, settings, audit trail) held in a lowdb JSON file. */
export interface StateStore {
  /** The live state; mutate only inside {@link StateStore.update}. */
  readonly data: Readonly<State>;
  readonly file: string;
  /** Set when the file on disk was corrupt at open and was moved aside. */
  readonly corruption: CorruptStateReport | null;
  /**
   * Applies `change` to the state and writes it atomically (temp file + rename). Updates are
   * serialised: each sees the previous one's result. If `change` throws, nothing is written.
   * Resolves once the file is on disk.
   */
  update<R>(change: (state: State) => R): Promise<R>;
  /**
   * Resolves once no change is waiting or being written (at once when idle). A stop awaits it, so
   * a change made by its last steps (a peer's flag, a list sync) is on disk before the data-dir lock
   * is released. Never rejects: a failed write is reported to the change's own caller.
   */
  settled(): Promise<void>;
  /**
   * Waits for {@link settled}, then refuses every later change (`update` rejects with
   * StateStoreClosedError, writing nothing). A stop closes the store before it releases the data-dir
   * lock, so a late change (a peer's message answered after the stop began, a timer) can never
   * overwrite the file of the instance that starts next on the same data dir.
   */
  close(): Promise<void>;
}

/** What `update` rejects with once the store is closed. */
export class StateStoreClosedError extends Error {
  override readonly name = 'StateStoreClosedError';
}

/**
 * A lowdb adapter that validates what it reads. A file that is not JSON or not a valid state is
 * renamed to `<file>.corrupt-<timestamp>` and reported through `onCorrupt` — never silently
 * replaced — and the store starts empty. Writes are atomic (temp file + rename, atomic-file.ts), as the
 * cached bytes of each field one after the other (state-text.ts), and are validated first: a state
 * this adapter would refuse to read back is never written.
 */
class ValidatingJsonFile implements Adapter<State> {
  readonly #file: string;
  readonly #onCorrupt: (report: CorruptStateReport) => void;
  readonly #now: () => Date;
  readonly #readOnly: boolean;
  /** Validates and serialises only the fields a commit replaced (see state-draft.ts). */
  readonly #serialiser = new StateText();

  constructor(
    file: string,
    onCorrupt: (report: CorruptStateReport) => void,
    now: () => Date,
    readOnly: boolean,
  ) {
    this.#file = file;
    this.#onCorrupt = onCorrupt;
    this.#now = now;
    this.#readOnly = readOnly;
  }

  async read(): Promise<State | null> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.#file);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') return null;
      // Node's read errors (EISDIR, EIO) name no file: this one does.
      if (e.message !== undefined && !e.message.includes(this.#file))
        e.message = `${e.message} (${this.#file})`;
      throw e;
    }
    let problem: string;
    // A damaged byte must not be read as U+FFFD and written back, changing recorded text for good.
    if (!isUtf8(bytes)) problem = 'not valid UTF-8';
    else {
      try {
        const parsed = stateSchema.safeParse(JSON.parse(bytes.toString('utf8')));
        if (parsed.success) return parsed.data;
        problem = describeFirstIssue(parsed.error);
      } catch (err) {
        problem = `not valid JSON: ${(err as Error).message}`;
      }
    }
    if (this.#readOnly)
      throw new CorruptStateError(`${this.#file} is corrupt (${problem}); start ipwarden to move it aside`);
    const movedTo = `${this.#file}.corrupt-${this.#now().toISOString().replace(/[:.]/g, '-')}`;
    await rename(this.#file, movedTo);
    this.#onCorrupt({ file: this.#file, movedTo, problem });
    return null;
  }

  async write(data: State): Promise<void> {
    if (this.#readOnly) throw new InvalidStateError(`${this.#file} was opened read-only`);
    let chunks: Buffer[];
    try {
      chunks = this.#serialise(data);
    } catch (err) {
      if (err instanceof InvalidStateError) throw err;
      throw new InvalidStateError(`refusing to write ${this.#file}: ${(err as Error).message}`);
    }
    await writeChunksAtomic(this.#file, chunks);
  }

  #serialise(data: State): Buffer[] {
    return this.#serialiser.chunks(data, (key, value, index) => {
      const schema = stateSchema.shape[key];
      const checked =
        index !== undefined && schema instanceof z.ZodArray
          ? schema.element.safeParse(value)
          : schema.safeParse(value);
      if (!checked.success) {
        const at = index === undefined ? key : `${key}.${index}`;
        throw new InvalidStateError(
          `refusing to write ${this.#file}: ${describeFirstIssue(checked.error, at)}`,
        );
      }
    });
  }
}

export interface StateStoreOptions {
  /** The data directory; the state lives in `<dataDir>/state.json`. */
  dataDir: string;
  now?: () => Date;
  /**
   * Reads without writing anything (an export, a backtest): a missing file reads as the empty state
   * and is not created, a corrupt one is left where it is (CorruptStateError), and `update` rejects.
   */
  readOnly?: boolean;
}

/**
 * Opens (or creates) the state file under the data dir.
 * @throws the underlying fs error when the file exists but cannot be read or moved aside;
 *   CorruptStateError when `readOnly` and the file is not a valid state.
 */
export async function openStateStore(options: StateStoreOptions): Promise<StateStore> {
  const file = path.join(options.dataDir, 'state.json');
  const readOnly = options.readOnly === true;
  // Owner only, as `ipwarden start` makes it: a CLI command may be the first to create it.
  if (!readOnly) await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  let corruption: CorruptStateReport | null = null;
  const adapter = new ValidatingJsonFile(
    file,
    (report) => {
      corruption = report;
    },
    options.now ?? (() => new Date()),
    readOnly,
  );
  const initial = emptyState();
  const db = new Low<State>(adapter, initial);
  await db.read();
  freezeStateElements(db.data);
  // Missing or moved aside: write the empty state now, so the file exists from the first open on.
  if (db.data === initial && !readOnly) await db.write();
  // Group commit: changes that arrive while a write is in flight are applied together to one draft
  // and written once (an attack that raises a thousand flags must not mean a thousand rewrites).
  let waiting: PendingChange[] = [];
  let committing: Promise<void> | null = null;
  let closed = false;
  /** Writes one batch of changes; settles each change's promise. Never rejects. */
  const writeBatch = async (batch: readonly PendingChange[]): Promise<void> => {
    const { draft, applied } = applyBatch(db.data, batch);
    if (applied.length === 0) return;
    const previous = db.data;
    try {
      db.data = stateOf(draft);
      await db.write();
    } catch (err) {
      db.data = previous; // memory must never claim what the disk does not hold
      // A change that leaves the state invalid (a remote entry, a bug) must not take the others of
      // its group down with it: they are written one by one, and only that one is refused.
      if (err instanceof InvalidStateError && applied.length > 1) {
        for (const ok of applied) await writeBatch([ok.pending]);
      } else {
        for (const ok of applied) ok.pending.reject(err);
      }
      return;
    }
    for (const ok of applied) ok.pending.resolve(ok.result);
  };
  const commit = async (): Promise<void> => {
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      await writeBatch(batch);
    }
    committing = null;
  };

  const settled = async (): Promise<void> => {
    // A change made while the last batch is written joins the same commit loop.
    while (committing) await committing;
  };

  return {
    get data() {
      return db.data;
    },
    file,
    get corruption() {
      return corruption;
    },
    update<R>(change: (state: State) => R): Promise<R> {
      if (closed) return Promise.reject(new StateStoreClosedError(`${file} is closed: ipwarden is stopping`));
      return new Promise<R>((resolve, reject) => {
        waiting.push({ change, resolve: resolve as (value: unknown) => void, reject });
        committing ??= commit();
      });
    },
    settled,
    close(): Promise<void> {
      closed = true;
      return settled();
    },
  };
}

interface PendingChange {
  change: (state: State) => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Applies a batch of changes to one draft of `base`. A change that throws is rejected and writes
 * nothing: the others are applied again to a clean draft, so none of its edits remain, and one that
 * throws only then is rejected in turn. Returns the draft and the changes in it, with their results.
 */
function applyBatch(
  base: State,
  batch: readonly PendingChange[],
): { draft: StateDraft; applied: { pending: PendingChange; result: unknown }[] } {
  let changes = batch;
  for (;;) {
    const draft = createStateDraft(base);
    const applied: { pending: PendingChange; result: unknown }[] = [];
    let failed: PendingChange | null = null;
    for (const pending of changes) {
      try {
        applied.push({ pending, result: pending.change(draft.draft) });
      } catch (err) {
        pending.reject(err);
        failed = pending;
        break;
      }
    }
    if (failed === null) return { draft, applied };
    changes = changes.filter((c) => c !== failed);
  }
}

/** The draft's state to commit. @throws InvalidStateError when an element cannot be copied (not JSON data). */
function stateOf(draft: StateDraft): State {
  try {
    return draft.result();
  } catch (err) {
    throw new InvalidStateError(`refusing to commit the state: ${(err as Error).message}`);
  }
}

function describeFirstIssue(error: z.ZodError, field?: string): string {
  const issue = error.issues[0];
  const at = [...(field ? [field] : []), ...(issue?.path ?? [])].join('.');
  return `invalid state at ${at || '(root)'}: ${issue?.message}`;
}
