import Router from '@koa/router';
import type { GeoLookup } from '../../geoip/index.js';
import { type Detection, JOB_NAMES, type JobName, listReports } from '../detection/index.js';
import type { ImportJobs } from '../import/index.js';
import { cidrContains, parseCidr, tryParseAddress } from '../net/index.js';
import type { SettingsService } from '../settings.js';
import { type AccessLists, checkAllow, type RequestLog, type StateStore } from '../store/index.js';
import { ApiError } from './api-error.js';
import { SESSION_COOKIE, sessionValue } from './auth.js';
import { detectionRoutes } from './detection-routes.js';
import {
  EXPORT_CONTENT_TYPES,
  EXPORT_KINDS,
  type ExportKind,
  entryExportItems,
  exportFileName,
  writeExport,
} from './export.js';
import { registerImportRoutes } from './import-routes.js';
import {
  allowBodySchema,
  blockBodySchema,
  EXPORT_FILTERS,
  exportSchema,
  flagsQuerySchema,
  forceQuerySchema,
  jobRunQuerySchema,
  listQuerySchema,
  requestListSchema,
  statsSchema,
  unusedExportFilter,
  validate,
} from './query-schemas.js';

export interface AdminRouteDeps {
  accessLists: AccessLists;
  requestLog: RequestLog;
  state: StateStore;
  detection: Detection;
  settings: SettingsService;
  geo: GeoLookup;
  imports: ImportJobs;
  /** The proxy's address once it listens (shown by the UI's empty states). */
  proxyUrl: () => string | undefined;
  token: string;
  version: string;
  now: () => number;
  /** Problems an operator must see (corrupt state moved aside, log writes failing …). */
  problems: () => string[];
  /** IPv6 clients' rate-limit network size, for the backtest's replay (default 64). */
  rateLimitIpv6Prefix?: number;
}

const DAY_MS = 86_400_000;

/** The admin API routes (all under `/api`). */
export function adminRoutes(deps: AdminRouteDeps): Router {
  const { accessLists, requestLog, state } = deps;
  // Case-sensitive, like the guard's public paths: `/API/...` is no route.
  const router = new Router({ prefix: '/api', sensitive: true });
  const actor = (header: string | undefined) =>
    header && /^[\w:.@-]{1,64}$/.test(header) ? header : 'admin-api';

  router.get('/health', (ctx) => {
    const problems = deps.problems();
    ctx.body = {
      status: problems.length === 0 ? 'ok' : 'degraded',
      version: deps.version,
      problems,
      proxyUrl: deps.proxyUrl(),
    };
  });

  router.post('/session', (ctx) => {
    // Reached only with a valid Bearer token (see adminGuard): trade it for an HttpOnly cookie so the
    // UI never keeps the token and EventSource can authenticate.
    ctx.cookies.set(SESSION_COOKIE, sessionValue(deps.token), {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      overwrite: true,
      signed: false,
    });
    ctx.status = 204;
  });
  router.post('/session/logout', (ctx) => {
    ctx.cookies.set(SESSION_COOKIE, '', {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      maxAge: 0,
      signed: false,
    });
    ctx.status = 204;
  });

  router.get('/ips/:ip', async (ctx) => {
    const ip = ctx.params.ip ?? '';
    const address = tryParseAddress(ip);
    if (!address) throw badIp(ip);
    const decision = accessLists.decide(address.text);
    const { records } = await requestLog.query({ ip: address.text, limit: 100 });
    const countries = new Map<string, number>();
    for (const r of records) {
      const code = r.source.geo?.country_iso_code;
      if (code) countries.set(code, (countries.get(code) ?? 0) + 1);
    }
    ctx.body = {
      ip: address.text,
      decision: decision.kind === 'allowlisted' ? 'allowlisted' : decision.kind,
      // The stored entry, without the index's own `expiresAtMs` that decide() carries.
      block: decision.kind === 'blocked' ? accessLists.blockCovering(address.text) : undefined,
      flags: deps.detection.flags.list({ ip: address.text }),
      requests: records,
      countries: [...countries].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count),
      audit: state.data.audit
        .filter((a) => a.target === address.text || targetContains(a.target, address.text))
        .reverse()
        .slice(0, 200),
    };
  });

  router.get('/requests', async (ctx) => {
    const q = validate(requestListSchema, ctx.query, 'query');
    ctx.body = await requestLog.query(q);
  });

  router.get('/stats', async (ctx) => {
    const q = validate(statsSchema, ctx.query, 'query');
    const until = q.until ?? new Date(deps.now());
    const since = q.since ?? new Date(until.getTime() - DAY_MS);
    const bucketMs = q.bucket ? { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[q.bucket] : undefined;
    const summary = await requestLog.summarise({ since, until }, { top: q.top ?? 10, bucketMs });
    const now = deps.now();
    ctx.body = {
      ...summary,
      activeBlocks: accessLists.activeBlockCount(),
      activeFlags: state.data.flags.filter((f) => f.is_active).length,
      flaggedIps: deps.detection.flags.activeReasonsByIp().size,
      generatedAt: new Date(now).toISOString(),
    };
  });

  router.get('/blocks', (ctx) => {
    const { entries, total, matched } = accessLists.blockPage(validate(listQuerySchema, ctx.query, 'query'));
    ctx.body = { blocks: entries, total, matched, active: accessLists.activeBlockCount() };
  });
  router.post('/blocks', async (ctx) => {
    const body = validate(blockBodySchema, ctx.request.body, 'body');
    const { force } = validate(forceQuerySchema, ctx.query, 'query');
    const result = await accessLists.block({
      target: body.target,
      reason: body.reason,
      durationMs: body.duration,
      actor: actor(ctx.get('x-ipwarden-actor')),
      force,
    });
    ctx.status = 201;
    ctx.body = result;
  });
  router.delete('/blocks/:target', async (ctx) => {
    const removed = await accessLists.unblock(ctx.params.target ?? '', actor(ctx.get('x-ipwarden-actor')));
    // An address a range still covers stays blocked: say by which block.
    const still = removed.target.includes('/') ? undefined : accessLists.decide(removed.target);
    ctx.body = { removed, ...(still?.kind === 'blocked' ? { stillBlockedBy: still.entry.target } : {}) };
  });

  router.get('/allowlist', (ctx) => {
    const { entries, total, matched } = accessLists.allowPage(validate(listQuerySchema, ctx.query, 'query'));
    ctx.body = { allowlist: entries, total, matched };
  });
  router.post('/allowlist', async (ctx) => {
    const body = validate(allowBodySchema, ctx.request.body, 'body');
    ctx.status = 201;
    const entry = await accessLists.allow({ ...body, actor: actor(ctx.get('x-ipwarden-actor')) });
    ctx.body = {
      entry,
      warnings: checkAllow(entry.target, accessLists, deps.now()),
    };
  });
  router.delete('/allowlist/:target', async (ctx) => {
    ctx.body = {
      removed: await accessLists.disallow(ctx.params.target ?? '', actor(ctx.get('x-ipwarden-actor'))),
    };
  });

  router.get('/flags', (ctx) => {
    const q = validate(flagsQuerySchema, ctx.query, 'query');
    const flags = deps.detection.flags.list(q).map((flag) => ({
      ...flag,
      country: deps.geo.lookup(flag.ip)?.country_iso_code ?? null,
      block: accessLists.blockCovering(flag.ip) ?? null,
    }));
    ctx.body = { flags };
  });
  router.post('/flags/:ip/dismiss', async (ctx) => {
    const raw = ctx.params.ip ?? '';
    const ip = tryParseAddress(raw)?.text;
    if (ip === undefined) throw badIp(raw);
    const ended = await deps.detection.flags.dismiss(ip, actor(ctx.get('x-ipwarden-actor')));
    if (ended.length === 0) throw new ApiError(404, `${ip} has no active flag`);
    ctx.body = { dismissed: ended };
  });

  router.get('/jobs', (ctx) => {
    ctx.body = { jobs: deps.detection.jobs.describe(), runs: deps.detection.jobs.runs(50) };
  });
  router.post('/jobs/:name/run', async (ctx) => {
    const name = ctx.params.name as JobName;
    if (!JOB_NAMES.includes(name))
      throw new ApiError(404, `unknown job ${JSON.stringify(name)}; jobs: ${JOB_NAMES.join(', ')}`);
    const q = validate(jobRunQuerySchema, ctx.query, 'query');
    if ((q.since || q.until) && name !== 'monitor')
      throw new ApiError(400, 'since/until go with the monitor job only');
    const range = q.since ? { since: q.since, until: q.until ?? new Date(deps.now()) } : undefined;
    ctx.body = { run: await deps.detection.jobs.run(name, { dryRun: q.dryRun, range }) };
  });

  router.get('/settings', (ctx) => {
    ctx.body = { settings: deps.settings.current() };
  });
  router.put('/settings', async (ctx) => {
    ctx.body = { settings: await deps.settings.update(ctx.request.body, actor(ctx.get('x-ipwarden-actor'))) };
  });

  router.get('/reports', async (ctx) => {
    ctx.body = await listReports(deps.detection.reportsDir);
  });

  router.get('/export/:kind', async (ctx) => {
    const kind = ctx.params.kind as ExportKind;
    if (!EXPORT_KINDS.includes(kind))
      throw new ApiError(
        404,
        `unknown export ${JSON.stringify(kind)}; expected requests, flags, blocks or allowlist`,
      );
    const { format, ...filter } = validate(exportSchema, ctx.query, 'query');
    const unused = unusedExportFilter(kind, Object.keys(ctx.query));
    if (unused !== undefined) {
      const takes = EXPORT_FILTERS[kind] as readonly string[]; // not 'all': that kind leaves nothing unused
      throw new ApiError(
        400,
        `invalid query field "${unused}": the ${kind} export takes only format${takes.map((k) => `, ${k}`).join('')}`,
      );
    }
    const items = exportItems(kind, filter);
    ctx.set('Content-Type', EXPORT_CONTENT_TYPES[format]);
    ctx.set(
      'Content-Disposition',
      `attachment; filename="${exportFileName(kind, format, new Date(deps.now()))}"`,
    );
    ctx.set('Cache-Control', 'no-store');
    ctx.respond = false;
    ctx.res.statusCode = 200;
    for (const [name, value] of Object.entries(ctx.response.headers))
      ctx.res.setHeader(name, value as string);
    await writeExport(kind, format, items, ctx.res);
  });

  registerImportRoutes(router, deps.imports);

  function exportItems(
    kind: ExportKind,
    filter: Parameters<RequestLog['scan']>[0],
  ): AsyncIterable<unknown> | Iterable<unknown> {
    if (kind === 'requests') return requestLog.scan(filter, 'oldest');
    return entryExportItems(kind, accessLists, () => deps.detection.flags.list(), filter);
  }

  detectionRoutes(router, deps, actor);
  return router;
}

/** The 400 for an `:ip` path parameter that is not an IP address. */
function badIp(raw: string): ApiError {
  return new ApiError(
    400,
    `invalid path parameter "ip": expected an IP address such as 203.0.113.7 or 2001:db8::1, got ${JSON.stringify(raw.slice(0, 64))}`,
  );
}

/** Whether an audit target (an IP or CIDR) covers `ip`. */
function targetContains(target: string, ip: string): boolean {
  if (!target.includes('/')) return false;
  const address = tryParseAddress(ip);
  try {
    return address !== null && cidrContains(parseCidr(target), address);
  } catch {
    return false; // an audit target that is not a range covers nothing
  }
}
