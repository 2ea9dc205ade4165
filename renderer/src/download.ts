/**
 * Streamed exports (`GET /api/export/<kind>`): the body is read chunk by chunk so the operator sees
 * bytes and records arrive, then saved through a Blob URL and an `<a download>` click.
 */
import { failureOf } from './api.js';
import {
  countRecordMarks,
  type ExportFormat,
  filenameFromDisposition,
  progressText,
} from './export-progress.js';
import { buildQuery, type QueryValue } from './query.js';

export type ExportKind = 'requests' | 'flags' | 'blocks' | 'allowlist';

const MIME: Readonly<Record<ExportFormat, string>> = {
  json: 'application/json',
  csv: 'text/csv',
  ndjson: 'application/x-ndjson',
};

export interface ExportOptions {
  kind: ExportKind;
  format: ExportFormat;
  filter?: Readonly<Record<string, QueryValue>>;
  signal?: AbortSignal;
  /** Called after each chunk with a line like "1.2 MB received · 4,000 records". */
  onProgress?: (text: string) => void;
}

/**
 * Downloads an export and hands it to the browser as a file. Resolves to the file name and the
 * progress line at the end; rejects with the server's message, or an AbortError when cancelled.
 */
export async function downloadExport(options: ExportOptions): Promise<{ filename: string; summary: string }> {
  const query = buildQuery({ ...options.filter, format: options.format });
  const response = await fetch(`/api/export/${options.kind}${query}`, {
    credentials: 'same-origin',
    signal: options.signal,
  });
  if (!response.ok) throw await failureOf(response);
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let bytes = 0;
  let marks = 0;
  let lastByte: number | undefined;
  let summary = progressText(options.format, 0, 0);
  if (response.body !== null) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      bytes += value.byteLength;
      marks += countRecordMarks(options.format, value, lastByte);
      lastByte = value.at(-1) ?? lastByte;
      summary = progressText(options.format, bytes, marks);
      options.onProgress?.(summary);
    }
  }
  const fallback = `ipwarden-${options.kind}.${options.format}`;
  const filename = filenameFromDisposition(response.headers.get('content-disposition'), fallback);
  saveBlob(new Blob(chunks, { type: MIME[options.format] }), filename);
  return { filename, summary };
}

/** Offers a Blob to the browser as a download named `filename`. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoke later: some browsers start reading the Blob after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
