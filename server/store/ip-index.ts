import { createHash } from 'node:crypto';

/**
 * The IP index of one closed request-log segment: for each `source.ip`, the byte offsets of its
 * lines. Lets a one-IP query read only that IP's lines instead of scanning the segment.
 *
 * File format (text, UTF-8), written by {@link serialiseIpIndex}:
 * ```
 * ipwarden-ip-index 1 <covered bytes> <sha1 hex of the last ≤4 KiB before covered>\n
 * "<ip as JSON>"\t<offset>,<offset>,…\n      one line per IP, offsets ascending
 * end <number of IPs>\n
 * ```
 * An index covers the segment's first `covered` bytes (whole lines only); the segment is
 * append-only, so lines written after the index are read as an unindexed tail.
 */
export interface IpIndexHeader {
  covered: number;
  fingerprint: string;
}

/** A loaded index: its header plus the raw body for native substring search. */
export interface IpIndex extends IpIndexHeader {
  body: Buffer;
}

/** Thrown by {@link parseIpIndex} for a file that is not a whole index (torn, truncated, foreign). */
export class IpIndexCorruptError extends Error {
  override readonly name = 'IpIndexCorruptError';
}

const MAGIC = 'ipwarden-ip-index 1 ';
const HEADER = /^ipwarden-ip-index 1 (0|[1-9]\d{0,15}) ([0-9a-f]{40})$/;
const TRAILER = /\nend (0|[1-9]\d{0,9})\n$/;
/** Bytes before `covered` hashed to tell the indexed segment from a different file of the same name. */
export const FINGERPRINT_BYTES = 4096;

/** SHA-1 of `tail` (the segment's last ≤ {@link FINGERPRINT_BYTES} bytes before `covered`), hex. */
export function fingerprintOf(tail: Buffer): string {
  return createHash('sha1').update(tail).digest('hex');
}

/** Builds the index text from `ip → ascending offsets`. */
export function serialiseIpIndex(header: IpIndexHeader, offsets: Map<string, number[]>): Buffer {
  const parts = [`${MAGIC}${header.covered} ${header.fingerprint}\n`];
  for (const [ip, list] of offsets) parts.push(`${JSON.stringify(ip)}\t${list.join(',')}\n`);
  parts.push(`end ${offsets.size}\n`);
  return Buffer.from(parts.join(''), 'utf8');
}

/** Parses an index file. Throws {@link IpIndexCorruptError} naming what is wrong. */
export function parseIpIndex(data: Buffer): IpIndex {
  const newline = data.indexOf(0x0a);
  const header = HEADER.exec(data.toString('latin1', 0, newline === -1 ? 0 : newline));
  if (header === null) throw new IpIndexCorruptError('bad or missing header line');
  const trailer = TRAILER.exec(data.toString('latin1', Math.max(0, data.length - 16)));
  if (trailer === null) throw new IpIndexCorruptError('missing end line (torn or truncated write)');
  const body = data.subarray(newline, data.length - trailer[0].length + 1);
  let lines = 0;
  for (let i = body.indexOf(0x0a, 1); i !== -1; i = body.indexOf(0x0a, i + 1)) lines++;
  if (lines !== Number(trailer[1])) {
    throw new IpIndexCorruptError(`end line says ${trailer[1]} IPs, the file holds ${lines}`);
  }
  return { covered: Number(header[1]), fingerprint: header[2] as string, body };
}

/**
 * The offsets of `ip`'s lines, ascending, or an empty array when the segment's indexed part has
 * none. One native search over the body. Throws {@link IpIndexCorruptError} for a malformed entry.
 */
export function lookupIpIndex(index: IpIndex, ip: string): number[] {
  // The body starts with the header's '\n', so every entry is preceded by one.
  const key = Buffer.from(`\n${JSON.stringify(ip)}\t`, 'utf8');
  const at = index.body.indexOf(key);
  if (at === -1) return [];
  const start = at + key.length;
  const end = index.body.indexOf(0x0a, start);
  const offsets = index.body.toString('latin1', start, end).split(',').map(Number);
  for (const offset of offsets) {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= index.covered) {
      throw new IpIndexCorruptError(`bad offset in the entry for ${ip}`);
    }
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
