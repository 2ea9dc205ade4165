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

/**
 * What went wrong while appending records, kept until the next flush reports it: appends run on the
 * request path, where an `onError` hook must not run once per record.
 */
export class AppendProblems {
  #enrichError: unknown;
  #badTimestamps = 0;
  #badTimestamp: unknown;
  #unserialisables = 0;
  #unserialisable: unknown;

  /** The enrich hook threw on a record (it is written as given). */
  enrichFailed(err: unknown): void {
    this.#enrichError ??= err;
  }

  /** A record was dropped for its `@timestamp`. */
  badTimestamp(timestamp: unknown): void {
    this.#badTimestamps++;
    this.#badTimestamp ??= timestamp;
  }

  /** A record was dropped because it could not be serialised. */
  unserialisable(err: unknown): void {
    this.#unserialisables++;
    this.#unserialisable ??= err;
  }

  /** True when there is something to report. */
  any(): boolean {
    return this.#enrichError !== undefined || this.#badTimestamps > 0 || this.#unserialisables > 0;
  }

  /** One error per kind of problem seen since the last call, with counts and a first example; then forgets them. */
  take(): RequestLogWriteError[] {
    const errors: RequestLogWriteError[] = [];
    if (this.#enrichError !== undefined) {
      errors.push(
        new RequestLogWriteError(
          'request log: enrich hook failed; wrote records as given',
          null,
          this.#enrichError,
        ),
      );
    }
    if (this.#badTimestamps > 0) {
      const message = `request log: dropped ${this.#badTimestamps} record(s) with an invalid @timestamp, e.g. ${JSON.stringify(this.#badTimestamp)}`;
      errors.push(new RequestLogWriteError(message, null));
    }
    if (this.#unserialisables > 0) {
      const message = `request log: dropped ${this.#unserialisables} record(s) that could not be serialised (a cycle, a BigInt, a required field missing)`;
      errors.push(new RequestLogWriteError(message, null, this.#unserialisable));
    }
    this.#enrichError = undefined;
    this.#badTimestamp = undefined;
    this.#unserialisable = undefined;
    this.#badTimestamps = 0;
    this.#unserialisables = 0;
    return errors;
  }
}
