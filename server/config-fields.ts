import { z } from 'zod';
import { type Cidr, compilePathPattern, parseCidr } from './net/index.js';
import { isValidDay } from './store/index.js';

/** Field schemas shared by the config file, the environment, flags and run-time settings (config.ts). */

const LOOPBACK: readonly string[] = ['127.0.0.0/8', '::1/128'];

/** `HOST:PORT` or `[v6]:PORT` → `{ host, port }`. */
export const hostPort = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
      const port = Number(match?.[3]);
      if (!match || port > 65535) {
        ctx.addIssue({
          code: 'custom',
          message: `expected HOST:PORT (e.g. 127.0.0.1:8081), got ${JSON.stringify(value)}`,
        });
        return z.NEVER;
      }
      return { host: (match[1] ?? match[2]) as string, port };
    });

/** A duration (`30s`, `5m`, `7d` or ms) → ms. */
export const duration = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === null) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration like 60s, 1m, 7d or milliseconds, got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return ms;
});

/** A network prefix length from `min` to `max` bits, as a number or (flag, environment) digits. */
export function prefixLength(min: number, max: number) {
  const message = `expected a prefix length from ${min} to ${max} bits, such as 64`;
  return z.union([z.number(), z.string()], { error: message }).transform((value, ctx) => {
    const bits =
      typeof value === 'number' ? value : /^\s*\d{1,3}\s*$/.test(value) ? Number(value) : Number.NaN;
    if (Number.isInteger(bits) && bits >= min && bits <= max) return bits;
    ctx.addIssue({ code: 'custom', message: `${message}, got ${JSON.stringify(value)}` });
    return z.NEVER;
  });
}

/**
 * A {@link duration} of at least `minMs`: for lifetimes whose typo would delete data (a bare `90`
 * is 90 ms, and a 90 ms retention deletes every past day of the request log at the next run).
 */
export function durationAtLeast(minMs: number, minText: string) {
  return duration.refine((ms) => ms >= minMs, {
    message: `must be at least ${minText} (a number without a unit counts as milliseconds)`,
  });
}

/** Comma-separated (or listed) CIDRs, `loopback` for 127.0.0.0/8 and ::1 → canonical CIDRs. */
export const trustProxy = z
  .union([z.string(), z.array(z.string())])
  .default([])
  .transform((value, ctx) => {
    const items = (Array.isArray(value) ? value : value.split(','))
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const cidrs: Cidr[] = [];
    for (const item of items) {
      for (const text of item === 'loopback' ? LOOPBACK : [item]) {
        try {
          cidrs.push(parseCidr(text));
        } catch (err) {
          ctx.addIssue({
            code: 'custom',
            message: `expected CIDRs or "loopback": ${(err as Error).message}`,
          });
          return z.NEVER;
        }
      }
    }
    return cidrs;
  });

/** Path patterns (`path-pattern.ts`), each checked at load. */
export const pathList = z.array(z.string()).superRefine((paths, ctx) => {
  for (const p of paths) {
    try {
      compilePathPattern(p);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  }
});

/** Each rule's counters are kept under its name: two rules of one name would share one budget. */
export function distinctRuleNames(rules: readonly { name: string }[], ctx: z.RefinementCtx): void {
  const first = new Map<string, number>();
  rules.forEach((rule, index) => {
    const earlier = first.get(rule.name);
    if (earlier === undefined) first.set(rule.name, index);
    else
      ctx.addIssue({
        code: 'custom',
        path: [index, 'name'],
        message: `"${rule.name}" is already the name of rule ${earlier}: each rule needs its own (its counters are kept under it)`,
      });
  });
}

/** Comma-separated (or listed) host names. */
export const hostNames = z
  .union([z.string(), z.array(z.string())])
  .default([])
  .transform((value) =>
    (Array.isArray(value) ? value : value.split(',')).map((s) => s.trim()).filter((s) => s !== ''),
  )
  .pipe(
    z.array(
      z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, 'expected host names (letters, digits, dots, dashes)'),
    ),
  );

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * `250ms`, `30s`, `5m`, `1h`, `7d`, `2w` or a positive integer of milliseconds → ms; null when
 * malformed. Text longer than 32 characters is refused before any matching, and the pattern has no
 * ambiguous repetition, so hostile input costs linear time (a `\s*…\s*` pair was quadratic).
 */
export function parseDuration(value: string | number): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : null;
  if (typeof value !== 'string' || value.length > 32) return null;
  const match = /^(\d{1,12})\s*(ms|s|m|h|d|w)?$/.exec(value.trim());
  if (!match) return null;
  const ms = Number(match[1]) * (UNITS[match[2] ?? 'ms'] ?? 1);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : null;
}

/** `YYYY-MM-DD`, optionally `T` (or a space) `hh:mm[:ss[.fraction]]` and `Z` or an offset `±hh[:]mm`. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * An ISO 8601 date or date-time → epoch ms; NaN for anything else. `Date.parse` alone takes
 * `Dec 7` (2001-12-07) or `1` (2001-01-01) and rolls `2026-02-30` over to March 2, so a typo in a
 * `--since` silently exports the wrong years; this takes only what the CLI and the admin API
 * document. A date alone is UTC midnight and a date-time without a zone is local time, as in
 * `Date.parse`.
 */
export function parseIsoTime(text: string): number {
  if (!ISO_8601.test(text) || !isValidDay(text.slice(0, 10))) return Number.NaN;
  return Date.parse(text);
}
