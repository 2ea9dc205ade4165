import type Router from '@koa/router';
import { z } from 'zod';
import { ConfigError } from '../config.js';
import { parseCandidate, runBacktest } from '../detection/index.js';
import { ApiError } from './api-error.js';
import { validate } from './query-schemas.js';
import type { AdminRouteDeps } from './routes.js';

const isoTime = z.string().transform((value, ctx) => {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected an ISO 8601 time, got ${JSON.stringify(value.slice(0, 40))}`,
    });
    return z.NEVER;
  }
  return new Date(ms);
});

/** `POST /api/backtest` body: candidate settings (partial, merged over those in force) and a range. */
export const backtestBodySchema = z
  .object({
    settings: z.record(z.string(), z.unknown(), { error: 'expected an object of candidate settings' }),
    since: isoTime,
    until: isoTime.optional(),
  })
  .strict()
  .refine((b) => b.until === undefined || b.until > b.since, {
    message: 'must be after since',
    path: ['until'],
  });

/**
 * Detection routes beyond flags: `POST /api/backtest` (what candidate settings would have done over
 * a past range; read-only, one at a time — 409 while another runs).
 */
export function detectionRoutes(router: Router, deps: AdminRouteDeps): void {
  let running = false;
  router.post('/backtest', async (ctx) => {
    const body = validate(backtestBodySchema, ctx.request.body, 'body');
    const current = deps.settings.inForce();
    let candidate: ReturnType<typeof parseCandidate>;
    try {
      candidate = parseCandidate(body.settings, current);
    } catch (err) {
      if (err instanceof ConfigError)
        throw new ApiError(400, `invalid body field "settings": ${err.message}`);
      throw err;
    }
    if (running) throw new ApiError(409, 'a backtest is already running; try again when it ends');
    running = true;
    try {
      const range = { since: body.since, until: body.until ?? new Date(deps.now()) };
      const reads = { requestLog: deps.requestLog, lists: deps.accessLists };
      ctx.body = { backtest: await runBacktest(reads, { current, candidate }, range) };
    } finally {
      running = false;
    }
  });
}
