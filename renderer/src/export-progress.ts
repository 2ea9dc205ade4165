/**
 * Bookkeeping for streamed exports: the file name from Content-Disposition and a progress line
 * from the bytes received. Pure.
 */
import { formatBytes, formatNumber } from './format.js';

/** A request-log record is about this many bytes in an export (used for JSON estimates). */
export const RECORD_BYTES_ESTIMATE = 300;

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

/** Counts line feeds in a chunk (one per record in CSV and NDJSON). */
export function countLines(chunk: Uint8Array): number {
  let lines = 0;
  for (const byte of chunk) if (byte === 10) lines++;
  return lines;
}

/**
 * Records received so far: lines for NDJSON, lines less the header for CSV, an estimate from the
 * byte count for JSON.
 */
export function recordsReceived(format: ExportFormat, bytes: number, lines: number): number {
  if (format === 'ndjson') return lines;
  if (format === 'csv') return Math.max(0, lines - 1);
  return Math.floor(bytes / RECORD_BYTES_ESTIMATE);
}

/** `1.2 MB received · 4,000 records` (JSON: `≈ 4,000 records`). */
export function progressText(format: ExportFormat, bytes: number, lines: number, locale?: string): string {
  const records = recordsReceived(format, bytes, lines);
  const approx = format === 'json' ? '≈ ' : '';
  return `${formatBytes(bytes, locale)} received · ${approx}${formatNumber(records, locale)} records`;
}
