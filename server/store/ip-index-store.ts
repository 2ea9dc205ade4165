import { type FileHandle, open, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import {
  FINGERPRINT_BYTES,
  fingerprintOf,
  IP_INDEX_PROBE_BYTES,
  type IpIndex,
  IpIndexCorruptError,
  ipOfLine,
  openIpIndex,
  serialiseIpIndex,
} from './ip-index.js';
import { lookupInFile, matchesSegment, readAt } from './ip-index-file.js';
import { listSegmentFiles, type SegmentInfo } from './segment-files.js';
import { readLinesOldestFirst } from './segment-reader.js';

/** Suffix of a segment's IP index file: `2026-11-22.ndjson.ip-index`. */
export const IP_INDEX_SUFFIX = '.ip-index';
/** Index headers kept in memory (a few hundred bytes each): more than a year of day segments. */
export const IP_INDEX_CACHE_ENTRIES = 1000;

interface Loaded {
  index: IpIndex;
  /** Inode and size of the index file the header was read from. */
  fileId: string;
  /** The segment's size and mtime when the fingerprint was last checked. */
  checked: string;
}

/** Options of {@link IpIndexStore}. */
export interface IpIndexStoreOptions {
  /** Told when an index file was corrupt (and moved aside) or could not be built. */
  onProblem: (err: Error) => void;
  /** Today's UTC day `YYYY-MM-DD`; segments of earlier days are closed and get an index. */
  today?: () => string;
  /** Build missing or stale indexes in the background ({@link IpIndexStore.schedule}); default true. */
  background?: boolean;
}

/**
 * The IP index files of a request-log directory: loads and checks them for queries, builds them
 * for closed segments (days before today) in the background, one at a time. An index whose segment
 * changed under it (shorter, or different bytes before `covered`) is stale and rebuilt; a file that
 * does not parse is renamed to `<file>.corrupt-<ms>`, reported, and rebuilt. Indexes are derived
 * data: the segments are never touched.
 */
export class IpIndexStore {
  readonly #dir: string;
  readonly #options: IpIndexStoreOptions;
  readonly #cache = new LRUCache<string, Loaded>({
    max: IP_INDEX_CACHE_ENTRIES,
  });
  /** Segment size at each index build, so a segment whose torn last line stays unindexed is built once. */
  readonly #builtAtSize = new Map<string, number>();
  #refreshing: Promise<number> | null = null;
  /** Every refresh runs after the previous one: two builds of one segment never overlap. */
  #chain: Promise<unknown> = Promise.resolve();
  #stopped = false;
  #temps = 0;
  #again = false;

  constructor(dir: string, options: IpIndexStoreOptions) {
    this.#dir = dir;
    this.#options = options;
  }

  /**
   * The usable index of `segment`, or null when there is none yet (missing, stale, corrupt). When
   * it is missing or behind the segment, a background refresh is scheduled; the caller scans what
   * the index does not cover. Rejects only on I/O errors other than ENOENT.
   */
  async usable(segment: SegmentInfo): Promise<IpIndex | null> {
    const { index, size } = await this.#check(segment);
    if (segment.day < this.#today() && this.#needsBuild(segment.name, index, size)) this.schedule();
    return index;
  }

  async #check(segment: SegmentInfo): Promise<{ index: IpIndex | null; size: number }> {
    const file = path.join(this.#dir, segment.name);
    const info = await statOrNull(file);
    if (info === null) return { index: null, size: 0 };
    const checked = `${info.size}:${info.mtimeMs}:${info.ino}`;
    let loaded = this.#cache.get(segment.name);
    if (loaded === undefined || loaded.checked !== checked) {
      const found = await this.#load(segment.name);
      loaded =
        found !== null && (await matchesSegment(file, found.index, info.size))
          ? { ...found, checked }
          : undefined;
      if (loaded === undefined) this.#cache.delete(segment.name);
      else this.#cache.set(segment.name, loaded);
    }
    return { index: loaded?.index ?? null, size: info.size };
  }

  /** Missing or behind, and not already built at this size (a torn last line stays unindexed). */
  #needsBuild(name: string, index: IpIndex | null, size: number): boolean {
    if (index !== null && index.covered >= size) return false;
    return this.#builtAtSize.get(name) !== size && size > 0;
  }

  /**
   * The offsets of `ip`'s lines in `segment` with the index they come from, or null when the
   * segment has no usable index (scan it instead). An index with a malformed entry is moved aside
   * and reported like a corrupt file.
   */
  async lookup(segment: SegmentInfo, ip: string): Promise<{ index: IpIndex; offsets: number[] } | null> {
    const index = await this.usable(segment);
    const fileId = this.#cache.get(segment.name)?.fileId;
    if (index === null || fileId === undefined) return null;
    try {
      const offsets = await lookupInFile(index, fileId, ip);
      if (offsets !== null) return { index, offsets };
      this.#cache.delete(segment.name); // rebuilt since its header was read: scan this time
      return null;
    } catch (err) {
      if (!(err instanceof IpIndexCorruptError)) throw err;
      this.#cache.delete(segment.name);
      await this.#setAside(segment.name, err);
      return null;
    }
  }

  /**
   * Starts a background {@link refresh} unless one is running (then it runs once more after); does
   * nothing when the store was made with `background: false`.
   */
  schedule(): void {
    if (this.#stopped || this.#options.background === false) return;
    if (this.#refreshing !== null) {
      this.#again = true;
      return;
    }
    this.#refreshing = this.refresh()
      .catch((err: Error) => {
        this.#options.onProblem(new Error(`IP index refresh failed: ${err.message}`));
        return 0;
      })
      .finally(() => {
        this.#refreshing = null;
        if (this.#again) {
          this.#again = false;
          this.schedule();
        }
      });
  }

  /**
   * Builds the index of every closed segment whose index is missing, stale, corrupt or behind the
   * segment's size, after any refresh already running; resolves with how many were built. Per
   * segment failures are reported, never thrown; rejects only if the directory cannot be listed.
   */
  refresh(): Promise<number> {
    const run = this.#chain.then(() => this.#refreshNow());
    this.#chain = run.catch(() => undefined); // reported by the caller; the next refresh still runs
    return run;
  }

  async #refreshNow(): Promise<number> {
    const today = this.#today();
    let built = 0;
    for (const segment of await listSegmentFiles(this.#dir)) {
      if (this.#stopped) break;
      if (segment.day >= today) continue;
      try {
        const { index, size } = await this.#check(segment);
        if (!this.#needsBuild(segment.name, index, size)) continue;
        await this.build(segment);
        built++;
      } catch (err) {
        this.#options.onProblem(
          new Error(`IP index of ${segment.name} not built: ${(err as Error).message}`),
        );
      }
    }
    return built;
  }

  /** Abandons any build in progress (nothing half-written is kept) and schedules no more; for shutdown. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.settled();
  }

  /** Waits for a running background refresh (for shutdown and benchmarks). */
  async settled(): Promise<void> {
    while (this.#refreshing !== null) await this.#refreshing;
  }

  /** Indexes `segment`'s whole lines and writes the index atomically (temp file + rename). */
  async build(segment: SegmentInfo): Promise<void> {
    const file = path.join(this.#dir, segment.name);
    const offsets = new Map<string, number[]>();
    let covered = 0;
    let pending: { ip: string | null; offset: number } | null = null;
    const add = (line: { ip: string | null; offset: number }) => {
      if (line.ip === null) return;
      const list = offsets.get(line.ip);
      if (list === undefined) offsets.set(line.ip, [line.offset]);
      else list.push(line.offset);
    };
    const size = (await stat(file)).size;
    for await (const { lines } of readLinesOldestFirst(file, { end: size })) {
      if (this.#stopped) return;
      for (const { offset, text } of lines) {
        if (pending !== null) add(pending);
        pending = { ip: text === null ? null : ipOfLine(text), offset };
      }
    }
    const handle = await open(file, 'r');
    try {
      // Only lines ending in '\n' are indexed: a last line without one may still be being written.
      const endsWithNewline = size > 0 && (await readAt(handle, size - 1, 1))[0] === 0x0a;
      if (pending !== null && endsWithNewline) add(pending);
      covered = pending === null || endsWithNewline ? size : pending.offset;
      const start = Math.max(0, covered - FINGERPRINT_BYTES);
      const fingerprint = fingerprintOf(await readAt(handle, start, covered - start));
      const target = this.#indexFile(segment.name);
      const temp = `${target}.tmp-${process.pid}-${++this.#temps}`;
      await writeFile(temp, serialiseIpIndex({ covered, fingerprint }, offsets));
      await rename(temp, target);
      this.#cache.delete(segment.name);
      this.#builtAtSize.set(segment.name, size);
    } finally {
      await handle.close();
    }
  }

  /** Forgets and deletes the index of a segment removed by retention. */
  async remove(name: string): Promise<void> {
    this.#cache.delete(name);
    this.#builtAtSize.delete(name);
    await unlink(this.#indexFile(name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  #today(): string {
    return this.#options.today?.() ?? new Date().toISOString().slice(0, 10);
  }

  #indexFile(name: string): string {
    return path.join(this.#dir, `${name}${IP_INDEX_SUFFIX}`);
  }

  /**
   * Reads an index file's header and end line, with the file's identity (inode:size); null when
   * missing; a corrupt one is moved aside and reported.
   */
  async #load(name: string): Promise<{ index: IpIndex; fileId: string } | null> {
    const file = this.#indexFile(name);
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    let loaded: { index: IpIndex; fileId: string } | IpIndexCorruptError;
    try {
      const { size, ino } = await handle.stat();
      const head = await readAt(handle, 0, IP_INDEX_PROBE_BYTES);
      const tail = await readAt(handle, Math.max(0, size - IP_INDEX_PROBE_BYTES), IP_INDEX_PROBE_BYTES);
      loaded = { index: openIpIndex(file, head, tail, size), fileId: `${ino}:${size}` };
    } catch (err) {
      if (!(err instanceof IpIndexCorruptError)) throw err;
      loaded = err;
    } finally {
      await handle.close();
    }
    if (!(loaded instanceof IpIndexCorruptError)) return loaded;
    await this.#setAside(name, loaded);
    return null;
  }

  /** Renames a corrupt index to `<file>.corrupt-<ms>`, reports it and schedules the rebuild. */
  async #setAside(name: string, err: Error): Promise<void> {
    const file = this.#indexFile(name);
    const aside = `${file}.corrupt-${Date.now()}`;
    await rename(file, aside).catch((renameErr: NodeJS.ErrnoException) => {
      if (renameErr.code !== 'ENOENT') throw renameErr;
    });
    this.#options.onProblem(
      new Error(
        `IP index ${name}${IP_INDEX_SUFFIX} was corrupt (${err.message}); moved to ${path.basename(aside)}, rebuilding`,
      ),
    );
    this.schedule();
  }
}

async function statOrNull(file: string) {
  try {
    return await stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
