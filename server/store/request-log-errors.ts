/**
 * A request log query or filter the caller got wrong (malformed cursor, unknown action, bad limit).
 * Safe to show: `status` 400 and `expose` follow the Koa/http-errors convention, and `field` names
 * the offending input.
 */
export class RequestLogQueryError extends Error {
  override readonly name = 'RequestLogQueryError';
  readonly status = 400;
  readonly expose = true;
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/**
 * The request log could not persist records: a segment write failed (disk full, read-only or missing
 * data dir) or records were dropped (unserialisable, invalid `@timestamp`, over `maxPendingRecords`).
 * Passed to `onError`, never thrown at callers of `append`. `segment` is the file involved, if any;
 * `cause` holds the file system error with its `code`.
 */
export class RequestLogWriteError extends Error {
  override readonly name = 'RequestLogWriteError';
  readonly segment: string | null;

  constructor(message: string, segment: string | null, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.segment = segment;
  }
}
