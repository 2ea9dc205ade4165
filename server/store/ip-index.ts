import { createHash } from 'node:crypto';

/**
 * The IP index of one closed request-log segment: for each `source.ip`, the byte offsets of its
 * lines. Lets a one-IP query read only that IP's lines instead of scanning the segment.
 *
 * File format (text, UTF-8), written by {@link serialiseIpIndex}:
 * ```
 * ipwarden-ip-index 1 <covered bytes> <sha1 hex of the last ≤4 KiB before covered>\n
 * "<ip as JSON>"\t<offset>,<offset>,…\n      one line per IP, sorted by the key's bytes; offsets ascending
 * end <number of IPs>\n
 * ```
 * An index covers the segment's first `covered` bytes (whole lines only); the segment is
 * append-only, so lines written after the index are read as an unindexed tail. Lookups binary-search
 * the file with a few small reads, so nothing but the header is kept in memory.
 */
export interface IpIndexHeader {
  covered: number;
  fingerprint: string;
}

/** An opened index: its header and where its sorted entries lie in the file (bytes). */
export interface IpIndex extends IpIndexHeader {
  file: string;
  /** Offset of the '\n' ending the header line: every entry is preceded by a '\n'. */
  bodyStart: number;
  /** Offset of the first byte of the `end` line. */
  bodyEnd: number;
}

/** Thrown for a file that is not a whole index (torn, truncated, foreign, malformed entry). */
export class IpIndexCorruptError extends Error {
  override readonly name = 'IpIndexCorruptError';
}

const MAGIC = 'ipwarden-ip-index 1 ';
const HEADER = /^ipwarden-ip-index 1 (0|[1-9]\d{0,15}) ([0-9a-f]{40})\n/;
const TRAILER = /\nend (0|[1-9]\d{0,9})\n$/;
/** Bytes before `covered` hashed to tell the indexed segment from a different file of the same name. */
export const FINGERPRINT_BYTES = 4096;
/** Bytes read from each end of an index file to check its header and trailer. */
export const IP_INDEX_PROBE_BYTES = 128;
/** Below this many bytes the search reads the remaining range whole. */
const SCAN_BYTES = 16 * 1024;

/** SHA-1 of `tail` (the segment's last ≤ {@link FINGERPRINT_BYTES} bytes before `covered`), hex. */
export function fingerprintOf(tail: Buffer): string {
  return createHash('sha1').update(tail).digest('hex');
}

const keyOf = (ip: string) => Buffer.from(JSON.stringify(ip), 'utf8');

/** Builds the index text from `ip → ascending offsets`, entries sorted by key bytes. */
export function serialiseIpIndex(header: IpIndexHeader, offsets: Map<string, number[]>): Buffer {
  const entries = [...offsets].map(([ip, list]) => ({ key: keyOf(ip), list }));
  entries.sort((a, b) => Buffer.compare(a.key, b.key));
  const parts: Buffer[] = [Buffer.from(`${MAGIC}${header.covered} ${header.fingerprint}\n`)];
  for (const { key, list } of entries) parts.push(key, Buffer.from(`\t${list.join(',')}\n`));
  parts.push(Buffer.from(`end ${offsets.size}\n`));
  return Buffer.concat(parts);
}

/**
 * Checks an index file's first and last {@link IP_INDEX_PROBE_BYTES} bytes (`head`, `tail`) for its
 * header and end line, given its `size`. Throws {@link IpIndexCorruptError} naming what is wrong.
 */
export function openIpIndex(file: string, head: Buffer, tail: Buffer, size: number): IpIndex {
  const header = HEADER.exec(head.toString('latin1'));
  if (header === null) throw new IpIndexCorruptError('bad or missing header line');
  const trailer = TRAILER.exec(tail.toString('latin1'));
  if (trailer === null) throw new IpIndexCorruptError('missing end line (torn or truncated write)');
  const bodyStart = header[0].length - 1;
  const bodyEnd = size - trailer[0].length + 1;
  if (bodyEnd <= bodyStart) throw new IpIndexCorruptError('end line overlaps the header');
  return { file, covered: Number(header[1]), fingerprint: header[2] as string, bodyStart, bodyEnd };
}

/** Reads `length` bytes at `position` (fewer at the end of the file). */
export type ReadAt = (position: number, length: number) => Promise<Buffer>;

/**
 * The offsets of `ip`'s lines, ascending, or an empty array when the segment's indexed part has
 * none: a binary search over the sorted entries, O(log size) reads of {@link SCAN_BYTES} at most.
 * Throws {@link IpIndexCorruptError} for a malformed entry or offsets outside the covered bytes.
 */
export async function lookupIpIndex(index: IpIndex, ip: string, readAt: ReadAt): Promise<number[]> {
  const key = keyOf(ip);
  // Invariant: the entry for `key`, if any, starts after a '\n' at a position in [lo, hi].
  let lo = index.bodyStart;
  let hi = index.bodyEnd - 1;
  const probe = Buffer.concat([key, TAB]);
  while (hi - lo > SCAN_BYTES) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const start = await nextLineStart(mid, hi, readAt);
    if (start === -1) {
      hi = mid; // no entry starts in (mid, hi]
      continue;
    }
    const order = Buffer.compare(await readAt(start, probe.length), probe);
    if (order === 0) return readEntry(index, start + probe.length, readAt, ip);
    if (order < 0) lo = start;
    else hi = mid;
  }
  const range = await readAt(lo - 1, hi - lo + 1 + probe.length + 1);
  const at = range.indexOf(Buffer.concat([NEWLINE, probe]));
  if (at === -1) return [];
  return readEntry(index, lo + at + probe.length, readAt, ip);
}

/** The first line start in (from, to], or -1 when none: reads on past long entries. */
async function nextLineStart(from: number, to: number, readAt: ReadAt): Promise<number> {
  for (let position = from; position < to; position += 4096) {
    const chunk = await readAt(position, Math.min(4096, to - position));
    const newline = chunk.indexOf(0x0a);
    if (newline !== -1) return position + newline + 1;
  }
  return -1;
}

const TAB = Buffer.from('\t');
const NEWLINE = Buffer.from('\n');

/** Reads the offsets list starting at `position` up to its '\n' and checks it. */
async function readEntry(index: IpIndex, position: number, readAt: ReadAt, ip: string): Promise<number[]> {
  let text = '';
  for (let length = 4096; ; length *= 8) {
    const chunk = await readAt(position, Math.min(length, index.bodyEnd - position));
    const newline = chunk.indexOf(0x0a);
    if (newline !== -1) {
      text = chunk.toString('latin1', 0, newline);
      break;
    }
    if (position + chunk.length >= index.bodyEnd)
      throw new IpIndexCorruptError(`unterminated entry for ${ip}`);
  }
  const offsets = text.split(',').map(Number);
  let previous = -1;
  for (const offset of offsets) {
    if (!Number.isSafeInteger(offset) || offset <= previous || offset >= index.covered) {
      throw new IpIndexCorruptError(`bad offset in the entry for ${ip}`);
    }
    previous = offset;
  }
  return offsets;
}

const TIMESTAMP_KEY = '{"@timestamp":"';
const SOURCE_IP = '"source":{"ip":"';

/**
 * `source.ip` of a segment line, or null for a line that is not a record. Fast path: the writer's
 * `JSON.stringify` puts `"source":{"ip":"…"` right after the top-level `@timestamp`; any other
 * layout (imported key orders, escapes) is parsed in full.
 */
export function ipOfLine(line: string): string | null {
  if (line.startsWith(TIMESTAMP_KEY)) {
    const at = line.indexOf('",', TIMESTAMP_KEY.length) + 2;
    if (at > 1 && line.startsWith(SOURCE_IP, at)) {
      const start = at + SOURCE_IP.length;
      const end = line.indexOf('"', start);
      const ip = line.slice(start, end);
      if (end !== -1 && !ip.includes('\\')) return ip;
    }
  }
  try {
    const value = JSON.parse(line) as { source?: { ip?: unknown } } | null;
    return typeof value?.source?.ip === 'string' ? value.source.ip : null;
  } catch {
    // A torn or foreign line: no record, so nothing to index.
    return null;
  }
}
