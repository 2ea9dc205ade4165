import { readFile } from 'node:fs/promises';
import { adminTokenPath } from '../admin/index.js';
import { runtimeFilePath } from '../appliance.js';
import { processRuns } from '../store/index.js';

/** A running appliance's admin API, as found through `<data-dir>/admin.json`. */
export interface AdminClient {
  readonly adminUrl: string;
  /**
   * Calls the admin API; resolves the JSON body. Gives up after 10 s unless `long` (a job or a
   * backtest, which runs as long as its range needs; Ctrl-C stops waiting).
   * @throws CliError with the API's message on 4xx/5xx.
   */
  json<T>(method: string, path: string, body?: unknown, options?: { long?: boolean }): Promise<T>;
  /** Calls the admin API and returns the raw response (for streamed exports). */
  raw(path: string): Promise<Response>;
  /**
   * POSTs a streamed body (an import upload) with no time limit and resolves the JSON answer with
   * its status, whatever the status: the caller decides what a 4xx means.
   */
  upload<T>(path: string, body: AsyncIterable<Uint8Array>): Promise<{ status: number; body: T }>;
}

/** An error the CLI prints as `ipwarden: <message>` and exits 1 on, without a stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/**
 * Finds a running appliance for `dataDir`: the runtime file names its pid and admin URL, and the
 * admin API must answer its health check. Returns null when none is running (the CLI then works on
 * the files directly).
 * @throws CliError when the appliance's process is alive but its admin API does not answer (so the
 * CLI never writes the state file behind a running appliance's back).
 */
export async function connectToRunningAppliance(dataDir: string): Promise<AdminClient | null> {
  let runtime: { pid: number; adminUrl: string };
  try {
    runtime = JSON.parse(await readFile(runtimeFilePath(dataDir), 'utf8')) as {
      pid: number;
      adminUrl: string;
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError(`cannot read ${runtimeFilePath(dataDir)}: ${(err as Error).message}`);
  }
  if (!processRuns(runtime.pid)) return null;
  const token = (await readFile(adminTokenPath(dataDir), 'utf8')).trim();
  const client = makeClient(runtime.adminUrl, token);
  try {
    await client.json('GET', '/api/health');
  } catch (err) {
    throw new CliError(
      `ipwarden (pid ${runtime.pid}) is running on ${dataDir} but its admin API at ${runtime.adminUrl} does not answer: ${(err as Error).message}`,
    );
  }
  return client;
}

/**
 * `fetch` to the running appliance; a connection that fails or breaks off (the appliance stopped
 * mid-command) or times out becomes a CliError saying so, not undici's bare "fetch failed".
 * @throws CliError naming the admin URL and the cause.
 */
async function reach(adminUrl: string, path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(new URL(path, adminUrl), init);
  } catch (err) {
    const e = err as Error & { cause?: NodeJS.ErrnoException };
    if (e.name === 'TimeoutError')
      throw new CliError(`the running ipwarden at ${adminUrl} did not answer within 10 s`);
    const cause = e.cause?.code ?? e.cause?.message ?? e.message;
    throw new CliError(
      `lost the running ipwarden at ${adminUrl} (${cause}); check that it is still running, then try again`,
    );
  }
}

/** A client for the admin API at `adminUrl` with `token` (exported for tests; commands use {@link connectToRunningAppliance}). */
export function makeClient(adminUrl: string, token: string): AdminClient {
  const headers = { authorization: `Bearer ${token}`, 'x-ipwarden-actor': 'cli' };
  return {
    adminUrl,
    async json<T>(method: string, path: string, body?: unknown, options?: { long?: boolean }): Promise<T> {
      const response = await reach(adminUrl, path, {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: options?.long === true ? undefined : AbortSignal.timeout(10_000),
      });
      const payload = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
      if (!response.ok) throw new CliError(payload.error?.message ?? `admin API answered ${response.status}`);
      return payload as T;
    },
    async upload<T>(path: string, body: AsyncIterable<Uint8Array>) {
      const response = await reach(adminUrl, path, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/octet-stream' },
        body: body as unknown as RequestInit['body'],
        duplex: 'half',
      } as RequestInit);
      return { status: response.status, body: (await response.json().catch(() => ({}))) as T };
    },
    async raw(path: string): Promise<Response> {
      const response = await reach(adminUrl, path, { headers });
      if (!response.ok) {
        const payload = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
        throw new CliError(payload.error?.message ?? `admin API answered ${response.status}`);
      }
      return response;
    },
  };
}
