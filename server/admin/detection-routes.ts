import type Router from '@koa/router';
import { z } from 'zod';
import { ConfigError, parseIsoTime } from '../config.js';
import { dismissRangeSuggestion, parseCandidate, runBacktest, suggestRanges } from '../detection/index.js';
import { ApiError } from './api-error.js';
import { validate } from './query-schemas.js';
import type { AdminRouteDeps } from './routes.js';

const isoTime = z.string().transform((value, ctx) => {
  const ms = parseIsoTime(value);
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

/** `POST /api/range-suggestions/dismiss` body. */
export const dismissRangeBodySchema = z
  .object({
    range: z.string().min(1).max(64),
    flaggedIps: z.number().int().min(0).max(1_000_000),
  })
  .strict();

/**
 * Detection routes beyond flags: `POST /api/backtest` (what candidate settings would have done over
 * a past range; read-only, one at a time — 409 while another runs), `GET /api/range-suggestions`
 * and `POST /api/range-suggestions/dismiss` (audited). Accepting a suggestion is `POST /api/blocks`.
 */
export function detectionRoutes(
  router: Router,
  deps: AdminRouteDeps,
  actor: (header: string | undefined) => string,
): void {
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
      const reads = {
        requestLog: deps.requestLog,
        lists: deps.accessLists,
        rateLimitIpv6Prefix: deps.rateLimitIpv6Prefix,
      };
      ctx.body = { backtest: await runBacktest(reads, { current, candidate }, range) };
    } finally {
      running = false;
    }
  });

  router.get('/range-suggestions', async (ctx) => {
    const { minIps, window } = deps.settings.inForce().detection.rangeSuggestions;
    const suggestions = await suggestRanges(
      {
        flags: deps.detection.flags,
        lists: deps.accessLists,
        requestLog: deps.requestLog,
        state: deps.state,
        now: deps.now,
      },
      { minIps, windowMs: window },
    );
    ctx.body = { suggestions, minIps, windowMs: window };
  });
  router.post('/range-suggestions/dismiss', async (ctx) => {
    const body = validate(dismissRangeBodySchema, ctx.request.body, 'body');
    await dismissRangeSuggestion(deps.state, body.range, body.flaggedIps, actor(ctx.get('x-ipwarden-actor')));
    ctx.status = 204;
  });
}
