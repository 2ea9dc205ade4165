import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';

/** A log file over this size (bytes) is moved to `<file>.1` at the next start: 10 MiB. */
export const LOG_FILE_MAX_BYTES = 10 * 1024 * 1024;

/**
 * Opens the desktop app's log file for appending (created 0600 in a folder made 0700: it holds
 * client addresses), first moving one over `maxBytes` to `<file>.1` (replacing the older one), so
 * the two together stay under twice the limit. A GUI app has no usable stdout (a Windows app
 * started from the Start menu has none at all: writing there fails with EBADF), so the appliance
 * logs here instead.
 * @throws the file system's error when the folder or file cannot be made.
 */
export async function openLogFile(file: string, maxBytes = LOG_FILE_MAX_BYTES): Promise<WriteStream> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const size = await stat(file).then(
    (s) => s.size,
    () => 0,
  );
  if (size > maxBytes) await rename(file, `${file}.1`);
  const stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  return stream;
}
