import http from 'node:http';
import { bodyParser } from '@koa/bodyparser';
import Koa from 'koa';
import type { Logger } from '../log.js';
import type { AccessLists, RequestLog, StateStore } from '../store/index.js';
import { apiErrorBoundary } from './api-error.js';
import { adminGuard } from './auth.js';
import { adminRoutes } from './routes.js';

export { adminTokenPath, ensureAdminToken, safeEqual } from './auth.js';
export {
  EXPORT_CONTENT_TYPES,
  EXPORT_FORMATS,
  EXPORT_KINDS,
  type ExportFormat,
  type ExportKind,
  writeExport,
} from './export.js';

export interface AdminServerOptions {
  token: string;
  host: string;
  port: number;
  accessLists: AccessLists;
  requestLog: RequestLog;
  state: StateStore;
  logger: Logger;
  version: string;
  now?: () => number;
  problems: () => string[];
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
    await next();
  });
  let server: http.Server | undefined;
  let hosts: Set<string> | null | undefined;
  const allowedHosts = () => {
    if (hosts === undefined) {
      const address = server?.address() ?? null;
      if (address === null || typeof address === 'string') return null;
      hosts = adminHosts(options.host, address.port);
    }
    return hosts;
  };
  app.use(adminGuard({ token: options.token, allowedHosts }));
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '64kb', encoding: 'utf-8' }));
  const router = adminRoutes({
    accessLists: options.accessLists,
    requestLog: options.requestLog,
    state: options.state,
    version: options.version,
    now: options.now ?? Date.now,
    problems: options.problems,
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.on('error', (err: Error) =>
    options.logger.error({ 'error.message': err.message }, 'admin server error'),
  );
  server = http.createServer(app.callback());
  return server;
}

/** Host header values accepted for an admin server listening on `host:port` (DNS-rebinding defence). */
export function adminHosts(host: string, port: number): Set<string> | null {
  if (host === '0.0.0.0' || host === '::') return null;
  const names = new Set([host, 'localhost', '127.0.0.1', '[::1]']);
  return new Set(
    [...names].map((name) => `${name.includes(':') && !name.startsWith('[') ? `[${name}]` : name}:${port}`),
  );
}
