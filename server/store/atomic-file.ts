import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** Buffers a single writev(2) takes on Linux (IOV_MAX). */
const IOV_MAX = 1024;
/** Rename errors that Windows gives while another process (an antivirus, the indexer) holds the file. */
const TRANSIENT_RENAME = new Set(['EPERM', 'EACCES', 'EBUSY']);

/** What {@link writeAll} needs of a file handle. */
export interface VectorWritable {
  writev(buffers: readonly Uint8Array[]): Promise<{ bytesWritten: number }>;
}

/**
 * Replaces `file` with `chunks` written one after the other, atomically: they go to
 * `.<name>.tmp` beside it, which is then renamed over it, so a crash leaves the old file or the new
 * one, never half of one (the same scheme as steno, lowdb's writer). The temp file's data is
 * flushed to the disk before the rename and the directory after it (about 1.5 ms here, off the
 * event loop), so a change, once written, survives a power cut too; steno flushed neither.
 * The chunks go out with writev(2), up to 1,024 a call: the state's cached runs (state-text.ts)
 * are written where they sit, where joining the 17 MB of a 100,000-entry blocklist into one buffer
 * first took 7.5 ms of the event loop per commit (README "Performance"). One write at a time per
 * file: the state store commits one after another. A rename refused as EPERM, EACCES or EBUSY is
 * tried again, as steno does. A file this creates is readable by its owner only (mode 0600).
 * @throws the fs error of the open, write or rename; the temp file is then removed and `file` is
 *   left as it was.
 */
export async function writeChunksAtomic(file: string, chunks: readonly Uint8Array[]): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  try {
    // Owner only: the state holds client IPs and who blocked what (README "Quick start").
    const handle = await open(temp, 'w', 0o600);
    try {
      await writeAll(handle, chunks);
      await handle.datasync(); // on the disk before it takes the old file's place
    } finally {
      await handle.close();
    }
    await renameRetrying(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  // The new file is in place: failing to flush the directory (a file system that cannot, such as
  // some network mounts) must not report the write as failed, or memory would lag the disk.
  await syncDirectory(path.dirname(file)).catch(() => undefined);
}

/**
 * Flushes a directory's entries (the rename) to the disk. Windows cannot open a directory for
 * that, and makes a rename durable itself: there it does nothing.
 */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes every byte of `chunks`, in order, through `handle.writev`, resuming after a short write.
 * @throws Error when a call writes nothing (it would never finish), or the handle's own error.
 */
export async function writeAll(handle: VectorWritable, chunks: readonly Uint8Array[]): Promise<void> {
  let pending = chunks.filter((chunk) => chunk.length > 0);
  while (pending.length > 0) {
    const batch = pending.slice(0, IOV_MAX);
    let { bytesWritten } = await handle.writev(batch);
    if (bytesWritten <= 0) throw new Error('writev wrote nothing');
    let done = 0;
    while (done < batch.length && bytesWritten >= (batch[done] as Uint8Array).length) {
      bytesWritten -= (batch[done] as Uint8Array).length;
      done++;
    }
    const rest = pending.slice(done);
    // A short write ends inside a chunk: what is left of it goes first next time.
    if (bytesWritten > 0) rest[0] = (rest[0] as Uint8Array).subarray(bytesWritten);
    pending = rest;
  }
}

/**
 * Renames `from` to `to`, trying again up to 10 times, `delayMs` (100) apart, while the error is one
 * that Windows gives for a file another process holds for a moment (steno's rule, which the desktop
 * app's Windows build relies on).
 * @throws the last error, or at once any other error.
 */
export async function renameRetrying(
  from: string,
  to: string,
  attempt: (from: string, to: string) => Promise<void> = rename,
  delayMs = 100,
): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      await attempt(from, to);
      return;
    } catch (err) {
      if (tries >= 10 || !TRANSIENT_RENAME.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
