import path from 'node:path';
import type { Readable } from 'node:stream';
import type { GeoLookup } from '../../geoip/index.js';
import { createRequestLog } from '../store/index.js';
import type { ImportFormat } from './formats.js';
import { openImportIndex } from './import-index.js';
import { openLineSource } from './line-source.js';
import { DEFAULT_BATCH, type ImportProgress, type ImportSummary, runImport } from './run-import.js';

/** What {@link importFile} needs: the log, where the data directory is, and a geolocation reader. */
export interface ImportFileOptions {
  /** Path of the log, or `-` for `stdin`. Plain or gzip (detected from its first bytes). */
  file: string;
  format: ImportFormat | 'auto';
  /** The appliance's data directory: records go to `requests/`, imported ids to `imports/`. */
  dataDir: string;
  geo: GeoLookup;
  stdin?: Readable;
  onProgress?: (progress: ImportProgress) => void;
  /** Told about request log write failures (the import then stops with an ImportError). */
  onWriteError?: (err: Error) => void;
}

/**
 * Imports one log into the data directory's request log (which no running appliance may be
 * writing: the caller checks). Rejects when the file cannot be opened; see {@link runImport} for
 * the rest.
 */
export async function importFile(options: ImportFileOptions): Promise<ImportSummary> {
  const source = await openLineSource(options.file, options.stdin);
  const requestLog = await createRequestLog({
    dir: path.join(options.dataDir, 'requests'),
    // The import awaits its own flushes; these only keep the writer from flushing or dropping early.
    flushIntervalMs: 60_000,
    maxBatch: DEFAULT_BATCH * 2,
    maxPendingRecords: DEFAULT_BATCH * 4,
    onError: options.onWriteError,
    // The next `ipwarden start` indexes the imported days; this process leaves that to it.
    indexInBackground: false,
  });
  try {
    return await runImport({
      source,
      format: options.format,
      requestLog,
      index: openImportIndex(options.dataDir, requestLog),
      geo: options.geo,
      onProgress: options.onProgress,
    });
  } finally {
    await requestLog.close();
  }
}
