import { z } from 'zod';
import { parseDuration, parseIsoTime } from '../config.js';
import { tryParseAddress } from '../net/index.js';
import { ApiError } from './api-error.js';
import { EXPORT_FORMATS, type ExportKind } from './export.js';

const time = z
  .string()
  .transform((value, ctx) => {
    const ms = /^\d{10,13}$/.test(value)
      ? Number(value) * (value.length <= 10 ? 1000 : 1)
      : parseIsoTime(value);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected an ISO 8601 time or epoch, got ${JSON.stringify(value.slice(0, 40))}`,
      });
      return z.NEVER;
    }
    return new Date(ms);
  })
  .optional();

/**
 * A whole number from `min` to `max` written in digits (not `0x10`, `1e3`, ` 10` or an empty
 * value, which a plain number coercion would take), with an error that says so and quotes it.
 */
function wholeNumber(min: number, max: number) {
  return z.string().transform((value, ctx) => {
    const n = Number(value);
    if (!/^\d{1,16}$/.test(value) || n < min || n > max) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a whole number from ${min} to ${max}, got ${JSON.stringify(value.slice(0, 40))}`,
      });
      return z.NEVER;
    }
    return n;
  });
}

/** An IP address in any spelling → its canonical text (`2001:DB8::1` → `2001:db8::1`), as the log holds it. */
const ip = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    const address = tryParseAddress(value);
    if (address === null) {
      ctx.addIssue({
        code: 'custom',
        message: `expected an IP address such as 203.0.113.7 or 2001:db8::1, got ${JSON.stringify(value.slice(0, 64))}`,
      });
      return z.NEVER;
    }
    return address.text;
  })
  .optional();

/** Filters shared by the request list and the request export. */
export const requestFilterSchema = z.object({
  ip,
  path: z.string().max(2048).optional(),
  status: wholeNumber(100, 599).optional(),
  action: z.enum(['allowed', 'blocked', 'rate_limited']).optional(),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'expected a two-letter country code')
    .transform((c) => c.toUpperCase())
    .optional(),
  since: time,
  until: time,
});

export const requestListSchema = requestFilterSchema
  .extend({
    limit: wholeNumber(1, 1000).optional(),
    cursor: z.string().max(512).optional(),
  })
  .strict();

export const statsSchema = z
  .object({
    since: time,
    until: time,
    top: wholeNumber(1, 100).optional(),
    bucket: z.enum(['minute', 'hour', 'day']).optional(),
  })
  .strict();

/**
 * The query fields each export kind takes besides `format`: flags are filtered by when they were
 * last seen; the blocks and allowlist exports hold every entry.
 */
export const EXPORT_FILTERS: Record<ExportKind, readonly string[] | 'all'> = {
  requests: 'all',
  flags: ['since', 'until'],
  blocks: [],
  allowlist: [],
};

/**
 * The first of `fields` (query fields, or the CLI options given) that the `kind` export does not
 * take, `format` aside; undefined when it takes them all (see {@link EXPORT_FILTERS}).
 */
export function unusedExportFilter(kind: ExportKind, fields: Iterable<string>): string | undefined {
  const takes = EXPORT_FILTERS[kind];
  if (takes === 'all') return undefined;
  for (const field of fields) if (field !== 'format' && !takes.includes(field)) return field;
  return undefined;
}

export const exportSchema = requestFilterSchema
  .extend({ format: z.enum(EXPORT_FORMATS).default('json') })
  .strict();

export const blockBodySchema = z
  .object({
    target: z.string().min(1).max(64),
    reason: z.string().max(500).optional(),
    /**
     * Text with a unit (`30m`, `1h`, `7d`) or a JSON number of milliseconds; omitted: permanent.
     * Text without a unit is refused, as the CLI's `--for` is: `"10"` meant as days would be a block
     * of 10 ms, replacing the one in force and over before anyone sees it.
     */
    duration: z
      .union([z.string(), z.number()])
      .transform((value, ctx) => {
        const ms = parseDuration(value);
        if (ms === null || (typeof value === 'string' && /^\d+$/.test(value.trim()))) {
          ctx.addIssue({
            code: 'custom',
            message: 'expected a duration with a unit like 30m, 1h or 7d, or a JSON number of milliseconds',
          });
          return z.NEVER;
        }
        return ms;
      })
      .optional(),
  })
  .strict();

/**
 * `GET /api/blocks` and `GET /api/allowlist`: newest first, those whose target, reason or author
 * contain `search` (any case), `offset` of them skipped, at most `limit`; without `limit`, all.
 */
export const listQuerySchema = z
  .object({
    search: z.string().max(200).optional(),
    offset: wholeNumber(0, Number.MAX_SAFE_INTEGER).optional(),
    limit: wholeNumber(1, 1000).optional(),
  })
  .strict();

export const allowBodySchema = z
  .object({ target: z.string().min(1).max(64), reason: z.string().max(500).optional() })
  .strict();

/**
 * Validates `input` against `schema` (query schemas are strict: an unknown parameter is a 400 too).
 * @throws ApiError 400 naming the first bad field and the expected form; nothing has changed yet.
 */
export function validate<T extends z.ZodType>(
  schema: T,
  input: unknown,
  where: 'query' | 'body',
): z.output<T> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  // An unknown key (a misspelt filter would otherwise be ignored silently) is named by itself.
  const unknown = issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : '';
  const field = [...(issue?.path ?? []), ...(unknown ? [unknown] : [])].join('.') || where;
  throw new ApiError(400, `invalid ${where} field "${field}": ${issue?.message ?? 'invalid'}`);
}

export const flagsQuerySchema = z
  .object({
    active: z
      .enum(['1', '0', 'true', 'false'])
      .transform((v) => v === '1' || v === 'true')
      .optional(),
    reason: z
      .enum(['high_volume', 'brute_force', 'sensitive_paths', 'failed_logins', 'admin_access', 'ml_outlier'])
      .optional(),
    ip,
  })
  .strict();

const flag = z
  .enum(['1', '0', 'true', 'false'], { error: 'expected 1, 0, true or false' })
  .transform((v) => v === '1' || v === 'true')
  .default(false);

export const jobRunQuerySchema = z.object({ since: time, until: time, dryRun: flag }).strict();

/** `POST /api/blocks?force=true`: block even a range covering the operator's own address. */
export const forceQuerySchema = z.object({ force: flag }).strict();
