import { mkdir, readdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import type { GeoLookup } from '../geoip/index.js';
import type { Config } from './config.js';
import type { Detection } from './detection/index.js';
import type { Logger } from './log.js';
import { closeGracefully, createProxyServer, type ProxyServer } from './proxy/index.js';
import type { Settings } from './settings.js';
import {
  type AccessLists,
  type AccessRecord,
  type Cluster,
  type CountersClient,
  createRequestLog,
  type DataDirLock,
  lockDataDir,
  openStateStore,
  type RequestLog,
  type StateStore,
} from './store/index.js';

/** How long a start waits for a CLI command that holds the data dir (ms). */
const CLI_LOCK_WAIT_MS = 60_000;

/**
 * Makes the data dir (owner only: client IPs and user agents are personal data) and takes its lock
 * for a start. One process per data dir: a second would overwrite the first's state from its
 * memory. A CLI command working on the files (an import, a monitor run) is waited for, a minute at
 * most. @throws DataDirLockedError naming the holder.
 */
export async function lockForStart(dataDir: string, logger: Logger): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  return lockDataDir(dataDir, 'start', {
    waitMs: CLI_LOCK_WAIT_MS,
    waitFor: (holder) => holder.purpose !== 'start',
    onWait: (holder) =>
      logger.warn(`waiting for ipwarden ${holder.purpose} (pid ${holder.pid}) to finish with ${dataDir}`),
  });
}

/**
 * Opens the state under `dataDir`. A file found corrupt (moved aside now), and each one moved
 * aside earlier (by a CLI command, or a start nobody watched), is logged and added to `problems`
 * (shown in `GET /api/health` until the file is deleted). @throws the file system's error.
 */
export async function openApplianceState(
  dataDir: string,
  now: () => number,
  logger: Logger,
  problems: string[],
): Promise<StateStore> {
  const state = await openStateStore({ dataDir, now: () => new Date(now()) });
  if (state.corruption) {
    const message = `state file ${state.corruption.file} was corrupt (${state.corruption.problem}); it was moved to ${state.corruption.movedTo} and ipwarden started with an empty state`;
    problems.push(message);
    logger.error({ 'file.path': state.corruption.movedTo }, message);
  }
  for (const file of await corruptStateFiles(dataDir, state.corruption?.movedTo)) {
    const message = `a corrupt state file is kept aside at ${file}: restore what you need from it, then delete it to clear this notice`;
    problems.push(message);
    logger.warn({ 'file.path': file }, message);
  }
  return state;
}

/**
 * The request log under `<data-dir>/requests`, geolocating each live record as it is written. A
 * failing write or IP index is logged and added to `problems` (shown in `GET /api/health`).
 */
export function setupRequestLog(
  config: Config,
  geo: GeoLookup,
  logger: Logger,
  problems: string[],
): Promise<RequestLog> {
  let failing = false;
  return createRequestLog({
    dir: path.join(config.dataDir, 'requests'),
    flushIntervalMs: config.flushInterval,
    enrich: (record: AccessRecord) => {
      if (record.source.geo !== undefined) return; // imported records come geolocated
      const location = geo.lookup(record.source.ip);
      if (location) record.source.geo = location;
    },
    onError: (err: Error) => {
      if (!failing) problems.push(`request log writes are failing: ${err.message}`);
      failing = true;
      logger.error(
        { 'error.message': err.message },
        'request log write failed; records are kept in memory and retried',
      );
    },
    // Indexes are derived data: a problem slows one-IP queries (they scan), never loses records.
    onIndexProblem: (err: Error) => {
      problems.push(`request log IP index: ${err.message}`);
      logger.warn({ 'error.message': err.message }, 'request log IP index problem');
    },
  });
}

/** What the proxy needs besides the config: its upstream, stores, settings in force and record sink. */
export interface ProxyParts {
  upstream: URL;
  accessLists: AccessLists;
  counters: CountersClient;
  settings: Settings;
  onRecords: (records: readonly AccessRecord[]) => void;
  isPaused: () => boolean;
}

/** The reverse proxy, with the timeouts and session cookie of `config` and the rules of `parts.settings`. */
export function setupProxy(config: Config, logger: Logger, parts: ProxyParts): ProxyServer {
  return createProxyServer({
    upstream: parts.upstream,
    upstreamTimeoutMs: config.upstreamTimeout,
    clientTimeouts: {
      headersMs: config.headersTimeout,
      requestMs: config.requestTimeout,
      idleMs: config.idleTimeout,
    },
    trustProxy: parts.settings.trustProxy,
    forwardedHeader: config.forwardedHeader,
    rateLimits: parts.settings.rateLimits,
    sessionCookie: config.sessionCookie,
    sessionTtlMs: config.sessionTtl,
    sessionFrom: config.sessionFrom,
    accessLists: parts.accessLists,
    counters: parts.counters,
    logger,
    onRecords: parts.onRecords,
    rateLimitFailure: config.redisFailure,
    rateLimitIpv6Prefix: config.rateLimitIpv6Prefix,
    isPaused: parts.isPaused,
  });
}

/**
 * Closes a running appliance's parts in order: the proxy and admin server (in-flight exchanges
 * finish), detection, the request log, the cluster link, the state (its last writes, then no more),
 * the counters store, the demo site. Records the request log could not write are said at ERROR and fail the
 * close, after the rest has closed.
 * @throws RequestLogWriteError naming the records lost.
 */
export async function closeParts(
  parts: {
    proxy: ProxyServer;
    detection: Detection;
    requestLog: RequestLog;
    cluster: Cluster;
    counters: CountersClient;
    state: StateStore;
  },
  extra: { admin?: Server | undefined; demo?: { close(): Promise<void> } | undefined },
  logger: Logger,
): Promise<void> {
  await Promise.all([parts.proxy.close(), extra.admin ? closeGracefully(extra.admin, 2_000) : undefined]);
  await parts.detection.close();
  const lost = await parts.requestLog.close().then(
    () => null,
    (err: Error) => {
      logger.error({ 'error.message': err.message }, 'request log not flushed');
      return err;
    },
  );
  await parts.cluster.close();
  // A peer's flag refresh that came after detection closed waits on a timer: write it now.
  await parts.detection.flags.close().catch((err: Error) => {
    logger.error({ 'error.message': err.message }, 'flag refreshes not written at shutdown');
  });
  // The last changes reach the disk, and any later one is refused, before the caller releases the
  // data-dir lock: the next instance on this data dir owns the file from then on.
  await parts.state.close();
  await parts.counters.quit().catch((err: Error) => {
    // Redis unreachable: stop reconnecting instead.
    parts.counters.disconnect();
    logger.warn({ 'error.message': err.message }, 'counters store did not close cleanly');
  });
  await extra.demo?.close();
  if (lost) throw lost;
}

/**
 * The state files moved aside as corrupt (`state.json.corrupt-<time>`) in `dataDir`, oldest first,
 * but `except` (the one this start moved, already reported with its reason).
 */
export async function corruptStateFiles(dataDir: string, except?: string): Promise<string[]> {
  const names = await readdir(dataDir);
  return names
    .filter((name) => name.startsWith('state.json.corrupt-'))
    .sort()
    .map((name) => path.join(dataDir, name))
    .filter((file) => file !== except);
}
