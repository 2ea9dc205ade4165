import type { Context, Next } from 'koa';
import type { Logger } from '../log.js';

/** An error whose status and message are safe to show to the API client. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Errors from other parts that carry a client-safe message and status. */
const SAFE_ERRORS = new Set([
  'AccessListError',
  'RequestLogQueryError',
  'AddressError',
  'PathPatternError',
  'ConfigError',
]);

/**
 * The admin server's error boundary (STYLE.md): thrown errors become `{ error: { status, message } }`.
 * Only ApiError and known client-safe errors show their message; anything else is a logged 500.
 */
export function apiErrorBoundary(logger: Logger) {
  return async function adminErrorBoundary(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (err) {
      const error = err as Error & { status?: number; expose?: boolean };
      let status = 500;
      let message = 'internal error';
      if (error instanceof ApiError) {
        status = error.status;
        message = error.message;
      } else if (SAFE_ERRORS.has(error.name)) {
        status = typeof error.status === 'number' ? error.status : 400;
        message = error.message;
      } else if (error.expose && typeof error.status === 'number') {
        status = error.status;
        message = error.message;
      } else {
        logger.error(
          { 'error.message': error.message, 'error.stack_trace': error.stack, 'url.path': ctx.path },
          'admin API error',
        );
      }
      ctx.status = status;
      ctx.body = { error: { status, message } };
    }
  };
}
