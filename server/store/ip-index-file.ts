import { type FileHandle, open } from 'node:fs/promises';
import { FINGERPRINT_BYTES, fingerprintOf, type IpIndex, lookupIpIndex } from './ip-index.js';

/**
 * {@link lookupIpIndex} on the index file, or null when the file is no longer the one `index` was
 * read from (`fileId`: inode and size), e.g. rebuilt by a background refresh in between.
 */
export async function lookupInFile(index: IpIndex, fileId: string, ip: string): Promise<number[] | null> {
  let handle: FileHandle;
  try {
    handle = await open(index.file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const info = await handle.stat();
    if (`${info.ino}:${info.size}` !== fileId) return null;
    return await lookupIpIndex(index, ip, (position, length) => readAt(handle, position, length));
  } finally {
    await handle.close();
  }
}

/** True when the segment still starts with the bytes the index was built from. */
export async function matchesSegment(file: string, index: IpIndex, size: number): Promise<boolean> {
  if (size < index.covered) return false;
  const handle = await open(file, 'r');
  try {
    const start = Math.max(0, index.covered - FINGERPRINT_BYTES);
    return fingerprintOf(await readAt(handle, start, index.covered - start)) === index.fingerprint;
  } finally {
    await handle.close();
  }
}

/** Reads up to `length` bytes at `position` (fewer at the end of the file). */
export async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}
