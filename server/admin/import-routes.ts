import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { IMPORT_FORMATS, ImportBusyError, type ImportJobs } from '../import/index.js';
import { ApiError } from './api-error.js';
import { validate } from './query-schemas.js';

/** The path of the upload route, which the JSON body parser must leave alone (the body is a log). */
export const IMPORT_UPLOAD_PATH = '/api/import';

const importQuerySchema = z
  .object({
    format: z
      .enum(['auto', ...IMPORT_FORMATS] as const, {
        error: `expected ${IMPORT_FORMATS.join(', ')} or auto`,
      })
      .default('auto'),
    name: z.string().max(200).optional(),
  })
  .strict();

/**
 * `POST /api/import?format=…&name=…` (body: the raw log, plain or gzip, streamed: the upload is read
 * only as fast as it is imported, so memory stays constant whatever its size): imports through the
 * running appliance and answers with the finished job (200, or 422 with `error` when it stopped).
 * 409 while another import runs; 400 naming `format` for an unknown format.
 * `GET /api/imports` (newest first) and `GET /api/imports/:id` show jobs and their progress.
 */
export function registerImportRoutes(router: Router, imports: ImportJobs): void {
  router.post('/import', async (ctx) => {
    const query = validate(importQuerySchema, ctx.query, 'query');
    if (ctx.request.is('json', 'urlencoded', 'multipart')) {
      throw new ApiError(
        415,
        'send the log itself as the request body (Content-Type: application/octet-stream, or application/gzip)',
      );
    }
    const length = Number(ctx.get('content-length'));
    let started: ReturnType<ImportJobs['start']>;
    try {
      started = imports.start({
        body: ctx.req,
        format: query.format,
        source: query.name ?? 'upload',
        totalBytes: Number.isSafeInteger(length) && length > 0 ? length : undefined,
      });
    } catch (err) {
      if (err instanceof ImportBusyError) throw new ApiError(409, err.message);
      throw err;
    }
    const job = await started.finished;
    respond(ctx, job.state === 'done' ? 200 : 422, job);
  });

  router.get('/imports', (ctx) => {
    ctx.body = { imports: imports.list() };
  });

  router.get('/imports/:id', (ctx) => {
    const job = imports.get(ctx.params.id ?? '');
    if (job === undefined)
      throw new ApiError(404, `no import ${JSON.stringify((ctx.params.id ?? '').slice(0, 64))}`);
    ctx.body = { import: job };
  });
}

function respond(ctx: Context, status: number, job: ReturnType<ImportJobs['list']>[number]): void {
  ctx.status = status;
  ctx.body =
    job.state === 'done'
      ? { import: job }
      : { error: { status, message: job.error ?? 'the import failed' }, import: job };
}
