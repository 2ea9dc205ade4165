import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RequestLog } from '../store/index.js';

/**
 * The import index of a data directory (`<dataDir>/imports`) for `requestLog` (the one in the same
 * data directory), whose segments tell which days are still logged.
 */
export function openImportIndex(dataDir: string, requestLog: Pick<RequestLog, 'listSegments'>): ImportIndex {
  // Listing stats every segment: list once, and again only for a day not seen in the last listing
  // (a stale day, or one this import created since).
  let logged = new Set<string>();
  return new ImportIndex(path.join(dataDir, 'imports'), async (day) => {
    if (logged.has(day)) return true;
    logged = new Set((await requestLog.listSegments()).map((segment) => segment.day));
    return logged.has(day);
  });
}

/** Day sets kept in memory at once; logs run forward in time, so older days are rarely touched again. */
const LOADED_DAYS = 8;

/**
 * The event ids already imported, one append-only file per UTC day: `<dir>/<YYYY-MM-DD>.ids`, one id
 * a line (normally `<data-dir>/imports`). A day's file is read into a Set the first time a record of
 * that day is met, so a check costs one Set lookup and no log scan; at most LOADED_DAYS days are held.
 * New ids are buffered and appended by {@link commit}, after their records reached the request log.
 *
 * Ids only count while their records are still logged: when `dayIsLogged` says a day's segment is
 * gone (the retention job deleted it, or the operator did), its ids are forgotten and its file is
 * started afresh, so importing that day again brings the records back instead of skipping them all.
 */
export class ImportIndex {
  readonly #dir: string;
  readonly #dayIsLogged: (day: string) => Promise<boolean>;
  /** Days whose ids file is stale: the next save replaces it instead of appending. */
  readonly #stale = new Set<string>();
  /** Days whose ids file does not end in a newline (torn): the next append starts a fresh line. */
  readonly #tornTails = new Set<string>();
  readonly #days = new Map<string, Set<string>>();
  readonly #unsaved = new Map<string, string[]>();
  /** Ids taken for saving whose save has not finished (several batches may be in flight). */
  readonly #saving = new Set<Map<string, string[]>>();
  /** Set once the directory is known to exist (a save per batch need not ask again). */
  #dirMade = false;

  /** `dayIsLogged(day)`: whether the request log still has a segment for that UTC day. */
  constructor(dir: string, dayIsLogged: (day: string) => Promise<boolean>) {
    this.#dir = dir;
    this.#dayIsLogged = dayIsLogged;
  }

  /** True when `day`'s ids are in memory, so {@link seen} answers without I/O. */
  isLoaded(day: string): boolean {
    return this.#days.has(day);
  }

  /** Reads `day`'s ids into memory. Rejects when the day's file exists but cannot be read. */
  async load(day: string): Promise<void> {
    if (!this.#days.has(day)) await this.#load(day);
  }

  /**
   * True when `id` was imported before or earlier in this run; otherwise records it under `day` and
   * returns false. The day must be loaded ({@link load}).
   * @throws Error when it is not.
   */
  seen(day: string, id: string): boolean {
    const ids = this.#days.get(day);
    if (ids === undefined) throw new Error(`import index: day ${day} is not loaded`);
    if (ids.has(id)) return true;
    ids.add(id);
    const unsaved = this.#unsaved.get(day);
    if (unsaved === undefined) this.#unsaved.set(day, [id]);
    else unsaved.push(id);
    return false;
  }

  /**
   * Takes the ids recorded since the last call, for {@link save} once their records are written;
   * while they wait they still count as seen.
   */
  takeUnsaved(): Map<string, string[]> {
    const unsaved = new Map(this.#unsaved);
    this.#unsaved.clear();
    this.#saving.add(unsaved);
    return unsaved;
  }

  /** Appends ids taken by {@link takeUnsaved} to their day files. Rejects on a write error. */
  async save(unsaved: Map<string, string[]>): Promise<void> {
    if (unsaved.size === 0) {
      this.#saving.delete(unsaved);
      return;
    }
    if (!this.#dirMade) {
      await mkdir(this.#dir, { recursive: true });
      this.#dirMade = true;
    }
    for (const [day, ids] of unsaved) {
      const text = `${ids.join('\n')}\n`;
      const torn = this.#tornTails.delete(day);
      if (this.#stale.delete(day)) await writeFile(this.#file(day), text);
      // A file cut short (a crash mid-append) gets its line ended first, so no id is glued to it.
      else await appendFile(this.#file(day), torn ? `\n${text}` : text);
    }
    this.#saving.delete(unsaved);
  }

  /** Saves every id recorded so far ({@link takeUnsaved} then {@link save}). */
  commit(): Promise<void> {
    return this.save(this.takeUnsaved());
  }

  #file(day: string): string {
    return path.join(this.#dir, `${day}.ids`);
  }

  async #load(day: string): Promise<Set<string>> {
    let text = '';
    try {
      text = await readFile(this.#file(day), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== '' && !(await this.#dayIsLogged(day))) {
      text = '';
      this.#stale.add(day);
    }
    if (text !== '' && !text.endsWith('\n')) this.#tornTails.add(day);
    const ids = new Set(text.split('\n'));
    ids.delete('');
    // A day evicted before its commit: its new ids are not in the file yet.
    for (const id of this.#unsaved.get(day) ?? []) ids.add(id);
    for (const saving of this.#saving) for (const id of saving.get(day) ?? []) ids.add(id);
    if (this.#days.size >= LOADED_DAYS) {
      // Evict the earliest loaded day; its unsaved ids stay in #unsaved until commit.
      for (const old of this.#days.keys()) {
        this.#days.delete(old);
        break;
      }
    }
    this.#days.set(day, ids);
    return ids;
  }
}
