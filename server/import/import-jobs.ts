import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { GeoLookup } from '../../geoip/index.js';
import type { RequestLog } from '../store/index.js';
import { beyondRetention } from './format-summary.js';
import type { ImportFormat } from './formats.js';
import { ImportError } from './import-errors.js';
import { openImportIndex } from './import-index.js';
import { lineSource } from './line-source.js';
import { type ImportProgress, type ImportSummary, runImport } from './run-import.js';

/** One import run by the appliance, as the admin API shows it. Times are ISO 8601. */
export interface ImportJob {
  id: string;
  state: 'running' | 'done' | 'failed';
  /** What the operator called the input (a file name), for display only. */
  source: string;
  /** The format asked for (`auto` until detected; the summary names the one used). */
  format: ImportFormat | 'auto';
  startedAt: string;
  finishedAt?: string;
  progress: ImportProgress;
  summary?: ImportSummary;
  /** Why a failed import stopped; what it had written by then stays written. */
  error?: string;
}

/** What {@link ImportJobs} writes through: the running appliance's own request log and geolocation. */
export interface ImportJobsOptions {
  requestLog: RequestLog;
  geo: GeoLookup;
  /** The data directory: imported ids go to `<dataDir>/imports`, shared with `ipwarden import`. */
  dataDir: string;
  /** The request log's retention in force (ms): an import older than it is warned about. */
  retentionMs: () => number;
  /** Clock, ms since the epoch; default Date.now. */
  now?: () => number;
}

/** Thrown by {@link ImportJobs.start} while another import runs. */
export class ImportBusyError extends Error {
  override readonly name = 'ImportBusyError';
  constructor(readonly running: ImportJob) {
    super(
      `an import is already running (${running.source}, ${running.progress.linesRead.toLocaleString('en')} lines read so far); try again when it has finished`,
    );
  }
}

/** Finished jobs kept for `GET /api/imports`. */
const KEPT_JOBS = 20;
/** Least time between two `progress` events of one job, ms: enough for a progress bar. */
const PROGRESS_EVENT_MS = 250;

/**
 * Imports run inside the appliance (the admin API's `POST /api/import`): one at a time, written
 * through the appliance's request log writer so no second writer touches a day file, deduplicated
 * with the same import index as `ipwarden import`. Emits `progress` (at most every 250 ms) and
 * `finished` with the job.
 */
export class ImportJobs extends EventEmitter<{ progress: [ImportJob]; finished: [ImportJob] }> {
  readonly #options: ImportJobsOptions;
  readonly #now: () => number;
  readonly #jobs: ImportJob[] = [];
  #running: ImportJob | null = null;

  constructor(options: ImportJobsOptions) {
    super();
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Newest first, the running one included. */
  list(): ImportJob[] {
    return this.#jobs.map((job) => structuredClone(job));
  }

  /** One job by id, or undefined. */
  get(id: string): ImportJob | undefined {
    const job = this.#jobs.find((j) => j.id === id);
    return job && structuredClone(job);
  }

  /**
   * Starts importing `input` (plain or gzip bytes, `totalBytes` long when known) and returns the job
   * at once, plus a promise of the job once it has finished (it never rejects: a failure is the
   * job's `state` and `error`).
   * @throws ImportBusyError while another import runs.
   */
  start(input: {
    body: Readable;
    format: ImportFormat | 'auto';
    source: string;
    totalBytes: number | undefined;
  }): { job: ImportJob; finished: Promise<ImportJob> } {
    if (this.#running !== null) throw new ImportBusyError(structuredClone(this.#running));
    const job: ImportJob = {
      id: randomUUID(),
      state: 'running',
      source: input.source,
      format: input.format,
      startedAt: new Date(this.#now()).toISOString(),
      progress: {
        linesRead: 0,
        imported: 0,
        duplicates: 0,
        rejected: 0,
        empty: 0,
        bytesRead: 0,
        totalBytes: input.totalBytes,
        elapsedMs: 0,
      },
    };
    this.#running = job;
    this.#jobs.unshift(job);
    this.#jobs.splice(KEPT_JOBS);
    return { job: structuredClone(job), finished: this.#run(job, input.body) };
  }

  async #run(job: ImportJob, body: Readable): Promise<ImportJob> {
    let lastEvent = Number.NEGATIVE_INFINITY;
    try {
      const summary = await runImport({
        source: lineSource(body, job.progress.totalBytes),
        format: job.format,
        requestLog: this.#options.requestLog,
        index: openImportIndex(this.#options.dataDir, this.#options.requestLog),
        geo: this.#options.geo,
        onProgress: (progress) => {
          job.progress = progress;
          const at = this.#now();
          if (at - lastEvent < PROGRESS_EVENT_MS) return;
          lastEvent = at;
          this.emit('progress', structuredClone(job));
        },
      });
      job.summary = beyondRetention(summary, this.#options.retentionMs(), this.#now());
      job.state = 'done';
    } catch (err) {
      job.state = 'failed';
      job.error = failureMessage(err as Error);
    } finally {
      job.finishedAt = new Date(this.#now()).toISOString();
      this.#running = null;
    }
    const finished = structuredClone(job);
    this.emit('finished', finished);
    return finished;
  }
}

function failureMessage(err: Error & { code?: string }): string {
  if (err instanceof ImportError) return err.message;
  if (err.code === 'Z_DATA_ERROR' || err.code === 'Z_BUF_ERROR')
    return `the upload looks like gzip but does not decompress: ${err.message}`;
  if (err.code === 'ECONNRESET' || err.message === 'aborted')
    return 'the upload was cut off; what was read before is imported, so sending the file again adds only the rest';
  return `import failed: ${err.message}`;
}
