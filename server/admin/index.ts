import http from 'node:http';
import { bodyParser } from '@koa/bodyparser';
import Koa from 'koa';
import type { Detection } from '../detection/index.js';
import type { ImportJobs } from '../import/index.js';
import type { Logger } from '../log.js';
import type { SettingsService } from '../settings.js';
import type { AccessLists, RequestLog, StateStore } from '../store/index.js';
import { adminHostCheck, type HostCheck } from './admin-hosts.js';
import { ApiError, apiErrorBoundary } from './api-error.js';
import { adminGuard } from './auth.js';
import { eventStream, type LiveSources } from './events.js';
import { IMPORT_UPLOAD_PATH } from './import-routes.js';
import { adminRoutes } from './routes.js';
import { CONTENT_SECURITY_POLICY, staticUi } from './static-ui.js';

export { adminHostCheck, type HostCheck } from './admin-hosts.js';
export { adminTokenPath, ensureAdminToken, SESSION_COOKIE, safeEqual, sessionValue } from './auth.js';
export type { LiveSources } from './events.js';
export {
  EXPORT_CONTENT_TYPES,
  EXPORT_FORMATS,
  EXPORT_KINDS,
  type ExportFormat,
  type ExportKind,
  entryExportItems,
  exportFileName,
  formulaSafe,
  writeExport,
} from './export.js';
export { unusedExportFilter } from './query-schemas.js';
export { CONTENT_SECURITY_POLICY } from './static-ui.js';

export interface AdminServerOptions {
  token: string;
  host: string;
  port: number;
  /** Extra host names the server answers to (`--admin-hosts`), besides its address and loopback names. */
  extraHosts?: readonly string[];
  /** Called with the remote address of every authenticated admin request (lockout prevention). */
  onOperator?: (ip: string) => void;
  accessLists: AccessLists;
  requestLog: RequestLog;
  state: StateStore;
  detection: Detection;
  settings: SettingsService;
  live: LiveSources;
  /** Imports through the running appliance (`POST /api/import`). */
  imports: ImportJobs;
  /** The built operator UI (`dist/renderer`). */
  uiDir: string;
  proxyUrl: () => string | undefined;
  logger: Logger;
  version: string;
  now?: () => number;
  problems: () => string[];
  /** IPv6 clients' rate-limit network size, for the backtest's replay (default 64). */
  rateLimitIpv6Prefix?: number;
}

/**
 * The admin server: JSON API under `/api`, token-guarded, bound to 127.0.0.1 by default and
 * never reachable through the proxy port.
 */
export function createAdminServer(options: AdminServerOptions): http.Server {
  const app = new Koa();
  app.use(apiErrorBoundary(options.logger));
  app.use(async function securityHeaders(ctx, next) {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
    await next();
  });
  let server: http.Server | undefined;
  let check: HostCheck | undefined;
  const hostAllowed = (host: string) => {
    if (check === undefined) {
      // The port is known once the server listens (port 0 picks one).
      const address = server?.address() ?? null;
      if (address === null || typeof address === 'string') return false;
      check = adminHostCheck(options.host, address.port, options.extraHosts);
    }
    return check(host);
  };
  app.use(adminGuard({ token: options.token, hostAllowed, onAuthenticated: options.onOperator }));
  const parseJson = bodyParser({
    enableTypes: ['json'],
    jsonLimit: '64kb',
    encoding: 'utf-8',
    onError: (err) => {
      throw bodyError(err as Error & { status?: number });
    },
  });
  // The import upload's body is a log of any size, streamed into the import: never buffered here.
  app.use((ctx, next) => (ctx.path === IMPORT_UPLOAD_PATH ? next() : parseJson(ctx, next)));
  const router = adminRoutes({
    accessLists: options.accessLists,
    requestLog: options.requestLog,
    state: options.state,
    detection: options.detection,
    settings: options.settings,
    geo: options.live.geo,
    imports: options.imports,
    proxyUrl: options.proxyUrl,
    token: options.token,
    version: options.version,
    now: options.now ?? Date.now,
    problems: options.problems,
    rateLimitIpv6Prefix: options.rateLimitIpv6Prefix,
  });
  router.get('/events', eventStream(options.live));
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use(staticUi(options.uiDir));
  app.on('error', (err: Error) =>
    options.logger.error({ 'error.message': err.message }, 'admin server error'),
  );
  server = http.createServer(app.callback());
  return server;
}

/** A request body the parser refused, as a 4xx naming the body (never a 500). */
function bodyError(err: Error & { status?: number }): ApiError {
  if (err.status === 413) return new ApiError(413, 'invalid body: larger than 64 KB');
  if (err.status === 415) return new ApiError(415, 'invalid body: send application/json');
  return new ApiError(400, `invalid body: expected a JSON object or array (${err.message.slice(0, 100)})`);
}
