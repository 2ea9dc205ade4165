/**
 * Bookkeeping for streamed exports: the file name from Content-Disposition and a progress line
 * from the bytes and records received. Pure.
 */
import { formatBytes, formatNumber } from './format.js';

export type ExportFormat = 'json' | 'csv' | 'ndjson';

/** The file name a `Content-Disposition: attachment; filename="…"` header gives, or `fallback`. */
export function filenameFromDisposition(header: string | null, fallback: string): string {
  if (header === null) return fallback;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (star?.[1] !== undefined) {
    try {
      return sanitiseFilename(decodeURIComponent(star[1]), fallback);
    } catch {
      // A malformed percent-encoding: fall through to the plain filename parameter.
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;\s]+)/i.exec(header);
  return sanitiseFilename(plain?.[1] ?? plain?.[2] ?? '', fallback);
}

function sanitiseFilename(name: string, fallback: string): string {
  const base = name.replace(/^.*[\\/]/, '').trim();
  return base === '' ? fallback : base;
}

const LINE_FEED = 10;
const OPEN_BRACE = 123;

/**
 * Counts what marks a record in a chunk of an export: a line feed in CSV (the header's included)
 * and NDJSON; in JSON, a line feed followed by `{`, since the export writes one object per line
 * after `[` (a line feed inside a string is escaped, so neither can occur in a value).
 * `previousByte` is the last byte of the chunk before, for a mark split between two chunks.
 */
export function countRecordMarks(format: ExportFormat, chunk: Uint8Array, previousByte?: number): number {
  let marks = 0;
  let before = previousByte;
  for (const byte of chunk) {
    if (format === 'json' ? byte === OPEN_BRACE && before === LINE_FEED : byte === LINE_FEED) marks++;
    before = byte;
  }
  return marks;
}

/** Records received so far from the marks counted ({@link countRecordMarks}): CSV less its header. */
export function recordsReceived(format: ExportFormat, marks: number): number {
  return format === 'csv' ? Math.max(0, marks - 1) : marks;
}

/** `1.2 MB received · 4,000 records`. */
export function progressText(format: ExportFormat, bytes: number, marks: number, locale?: string): string {
  const records = recordsReceived(format, marks);
  return `${formatBytes(bytes, locale)} received · ${formatNumber(records, locale)} ${records === 1 ? 'record' : 'records'}`;
}
