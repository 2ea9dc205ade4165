import Router from '@koa/router';
import type { AccessLists, RequestLog, StateStore } from '../store/index.js';
import { ApiError } from './api-error.js';
import { EXPORT_CONTENT_TYPES, EXPORT_KINDS, type ExportKind, writeExport } from './export.js';
import {
  allowBodySchema,
  blockBodySchema,
  exportSchema,
  requestListSchema,
  statsSchema,
  validate,
} from './query-schemas.js';

export interface AdminRouteDeps {
  accessLists: AccessLists;
  requestLog: RequestLog;
  state: StateStore;
  version: string;
  now: () => number;
  /** Problems an operator must see (corrupt state moved aside, log writes failing …). */
  problems: () => string[];
}

const DAY_MS = 86_400_000;

/** The admin API routes (all under `/api`). */
export function adminRoutes(deps: AdminRouteDeps): Router {
  const { accessLists, requestLog, state } = deps;
  const router = new Router({ prefix: '/api' });
  const actor = (header: string | undefined) =>
    header && /^[\w:.@-]{1,64}$/.test(header) ? header : 'admin-api';

  router.get('/health', (ctx) => {
    const problems = deps.problems();
    ctx.body = { status: problems.length === 0 ? 'ok' : 'degraded', version: deps.version, problems };
  });

  router.get('/requests', async (ctx) => {
    const q = validate(requestListSchema, ctx.query, 'query');
    ctx.body = await requestLog.query(q);
  });

  router.get('/stats', async (ctx) => {
    const q = validate(statsSchema, ctx.query, 'query');
    const until = q.until ?? new Date(deps.now());
    const since = q.since ?? new Date(until.getTime() - DAY_MS);
    const summary = await requestLog.summarise({ since, until }, { top: q.top ?? 10 });
    const now = deps.now();
    ctx.body = {
      ...summary,
      activeBlocks: accessLists.listBlocks().filter((b) => !b.expired).length,
      activeFlags: state.data.flags.filter((f) => f.is_active).length,
      generatedAt: new Date(now).toISOString(),
    };
  });

  router.get('/blocks', (ctx) => {
    ctx.body = { blocks: accessLists.listBlocks() };
  });
  router.post('/blocks', async (ctx) => {
    const body = validate(blockBodySchema, ctx.request.body, 'body');
    const result = await accessLists.block({
      target: body.target,
      reason: body.reason,
      durationMs: body.duration,
      actor: actor(ctx.get('x-ipwarden-actor')),
    });
    ctx.status = 201;
    ctx.body = result;
  });
  router.delete('/blocks/:target', async (ctx) => {
    const removed = await accessLists.unblock(ctx.params.target ?? '', actor(ctx.get('x-ipwarden-actor')));
    ctx.body = { removed };
  });

  router.get('/allowlist', (ctx) => {
    ctx.body = { allowlist: accessLists.listAllowlist() };
  });
  router.post('/allowlist', async (ctx) => {
    const body = validate(allowBodySchema, ctx.request.body, 'body');
    ctx.status = 201;
    ctx.body = { entry: await accessLists.allow({ ...body, actor: actor(ctx.get('x-ipwarden-actor')) }) };
  });
  router.delete('/allowlist/:target', async (ctx) => {
    ctx.body = {
      removed: await accessLists.disallow(ctx.params.target ?? '', actor(ctx.get('x-ipwarden-actor'))),
    };
  });

  router.get('/flags', (ctx) => {
    ctx.body = { flags: [...state.data.flags].reverse() };
  });

  router.get('/export/:kind', async (ctx) => {
    const kind = ctx.params.kind as ExportKind;
    if (!EXPORT_KINDS.includes(kind))
      throw new ApiError(404, `unknown export ${JSON.stringify(kind)}; expected requests, flags or blocks`);
    const { format, ...filter } = validate(exportSchema, ctx.query, 'query');
    const items = exportItems(kind, filter);
    const stamp = new Date(deps.now()).toISOString().slice(0, 19).replace(/[:T]/g, '-');
    ctx.set('Content-Type', EXPORT_CONTENT_TYPES[format]);
    ctx.set('Content-Disposition', `attachment; filename="ipwarden-${kind}-${stamp}.${format}"`);
    ctx.set('Cache-Control', 'no-store');
    ctx.respond = false;
    ctx.res.statusCode = 200;
    for (const [name, value] of Object.entries(ctx.response.headers))
      ctx.res.setHeader(name, value as string);
    await writeExport(kind, format, items, ctx.res);
  });

  function exportItems(
    kind: ExportKind,
    filter: Parameters<RequestLog['scan']>[0],
  ): AsyncIterable<unknown> | Iterable<unknown> {
    if (kind === 'requests') return requestLog.scan(filter, 'oldest');
    if (kind === 'blocks') return accessLists.listBlocks();
    return state.data.flags.filter((f) => {
      const seen = Date.parse(f.last_seen);
      return (
        (!filter.since || seen >= filter.since.getTime()) && (!filter.until || seen < filter.until.getTime())
      );
    });
  }

  return router;
}
