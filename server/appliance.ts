import { rm } from 'node:fs/promises';
import path from 'node:path';
import { type GeoLookup, openGeoip } from '../geoip/index.js';
import { adminTokenPath, createAdminServer, ensureAdminToken } from './admin/index.js';
import { type ApplianceAddresses, announce, listen, runtimeFilePath, urlOf } from './appliance-addresses.js';
import {
  closeParts,
  lockForStart,
  openApplianceState,
  setupProxy,
  setupRequestLog,
} from './appliance-setup.js';
import type { Config } from './config.js';
import { type DemoSite, startDemoSite } from './demo/index.js';
import { createDetection, type Detection } from './detection/index.js';
import { ImportJobs } from './import/index.js';
import { createLogger, type Logger } from './log.js';
import type { ProxyServer } from './proxy/index.js';
import { initialSettings, logOverrides, overriddenConfig } from './saved-settings.js';
import { configSettings, type Settings, SettingsService } from './settings.js';
import {
  AccessLists,
  type Cluster,
  type CountersClient,
  createCluster,
  createCounters,
  type DataDirLock,
  ListSync,
  OperatorAddresses,
  type RequestLog,
  type StateStore,
} from './store/index.js';
import { PACKAGE_ROOT, VERSION } from './version.js';

export { type ApplianceAddresses, runtimeFilePath } from './appliance-addresses.js';

export interface Appliance {
  start(): Promise<ApplianceAddresses>;
  /** Stops accepting, finishes in-flight requests, flushes the request log, closes the stores. */
  stop(): Promise<void>;
  /** The parts, for the desktop shell, the CLI and tests. Available after `start()`. */
  readonly parts: ApplianceParts;
  /** True from a successful `start()` until `stop()` begins (then `parts` throws). */
  readonly running: boolean;
  /** Pauses protection: blocks are not enforced until `resume()` (the desktop app's pass-through). */
  pause(): void;
  /** Enforces blocks again after `pause()`. */
  resume(): void;
  /** True while protection is paused. */
  readonly paused: boolean;
}

export interface ApplianceParts {
  config: Config;
  logger: Logger;
  state: StateStore;
  accessLists: AccessLists;
  requestLog: RequestLog;
  geo: GeoLookup;
  counters: CountersClient;
  cluster: Cluster;
  proxy: ProxyServer;
  detection: Detection;
  token: string;
}

export interface ApplianceDeps {
  logger?: Logger;
  now?: () => number;
  /** Folder holding the bundled GeoLite2 City pair when it is not in node_modules (the packaged desktop app). */
  geoipDir?: string;
}

/** How long a start waits for a shared Redis before serving from the local state (ms). */
const CLUSTER_START_TIMEOUT_MS = 3_000;

/**
 * Wires the appliance from validated config (DESIGN.md): stores → geolocation → request log →
 * access lists → upstream (or the demo site) → proxy → admin server. Reads like a table of contents.
 */
export function createAppliance(config: Config, deps: ApplianceDeps = {}): Appliance {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const now = deps.now ?? Date.now;
  let parts: ApplianceParts | undefined;
  let demo: DemoSite | undefined;
  let admin: import('node:http').Server | undefined;
  let paused = false;
  let listSync: ListSync | undefined;
  let lock: DataDirLock | undefined;
  const problems: string[] = [];

  async function start(): Promise<ApplianceAddresses> {
    lock = await lockForStart(config.dataDir, logger);
    try {
      return await startParts();
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  async function startParts(): Promise<ApplianceAddresses> {
    const state = await openApplianceState(config.dataDir, now, logger, problems);
    /** What is open before the parts exist (when `stop()` takes over), newest last. */
    const opened: (() => unknown)[] = [() => state.close()];
    try {
      return await startOn(state, opened);
    } catch (err) {
      // Failed before it ran: close what it opened, or a retry in this process (the desktop's) would
      // share the data dir with a request log, a Redis connection and a demo site left behind.
      if (parts === undefined)
        for (const close of opened.reverse())
          await Promise.resolve()
            .then(close)
            .catch(() => undefined);
      throw err;
    }
  }

  async function startOn(state: StateStore, opened: (() => unknown)[]): Promise<ApplianceAddresses> {
    const geo = await openGeoip({ file: config.geoip, bundledDir: deps.geoipDir });
    const requestLog = await setupRequestLog(config, geo, logger, problems);
    opened.push(() => requestLog.close());
    const counters = createCounters({ url: config.redis, prefix: config.redisPrefix });
    opened.push(() => counters.disconnect());
    const accessLists = new AccessLists(state, now, new OperatorAddresses([config.admin.host]));
    const cluster = setupCluster(counters, accessLists, state);
    const settings = initialSettings(config, state.data.settings, (message) => problems.push(message));
    logOverrides(logger, overriddenConfig(config, settings));
    for (const problem of [...accessLists.problems, ...problems]) logger.error(problem);
    const detection = createDetection({
      config: settings.detection,
      dataDir: config.dataDir,
      state,
      lists: accessLists,
      requestLog,
      counters,
      cluster,
      logger,
      now,
      ipv6Prefix: config.rateLimitIpv6Prefix,
    });
    opened.push(() => detection.close());
    demo = config.upstream ? undefined : await startDemoSite(config.sessionCookie);
    opened.push(() => {
      const started = demo;
      demo = undefined;
      return started?.close();
    });
    const upstream = config.upstream ? new URL(config.upstream) : (demo as DemoSite).url;
    // Each part takes the whole batch in turn, so its code and tables stay in the CPU caches.
    const proxy = setupProxy(config, logger, {
      upstream,
      accessLists,
      counters,
      settings,
      onRecords: (records) => {
        for (const record of records) requestLog.append(record);
        for (const record of records) detection.live.observe(record);
      },
      isPaused: () => paused,
    });
    const settingsService = setupSettings(settings, state, proxy, detection);
    const retentionMs = () => settingsService.inForce().detection.retention;
    const imports = new ImportJobs({ requestLog, geo, dataDir: config.dataDir, retentionMs, now });
    const token = await ensureAdminToken(config.dataDir);
    parts = {
      config,
      logger,
      state,
      accessLists,
      requestLog,
      geo,
      counters,
      cluster,
      proxy,
      detection,
      token,
    };
    admin = setupAdmin(parts, settingsService, imports);
    await cluster.start(CLUSTER_START_TIMEOUT_MS);
    const proxyAddress = await listen(proxy.server, config.listen.host, config.listen.port);
    const adminAddress = await listen(admin, config.admin.host, config.admin.port);
    const addresses: ApplianceAddresses = {
      proxyUrl: urlOf(proxyAddress),
      adminUrl: urlOf(adminAddress),
      tokenFile: adminTokenPath(config.dataDir),
      upstream: upstream.origin,
      demo: demo !== undefined,
    };
    // The hourly monitor and report, flag expiry, the daily auto-block and retention (README
    // "Detection"); with `schedule: false` they run only through `ipwarden monitor`.
    if (config.schedule) detection.jobs.start();
    await announce(config.dataDir, config.admin.host, addresses, logger);
    return addresses;
  }

  /** The link to other instances on a shared Redis; with one, the access lists are kept in sync. */
  function setupCluster(counters: CountersClient, accessLists: AccessLists, state: StateStore): Cluster {
    const cluster = createCluster({
      counters,
      prefix: config.redisPrefix,
      shared: config.redis !== undefined,
      failure: config.redisFailure,
      logger,
    });
    if (cluster.shared) {
      listSync = new ListSync({
        lists: accessLists,
        audit: () => state.data.audit,
        counters,
        cluster,
        logger,
        now,
      });
      listSync.start();
    }
    return cluster;
  }

  /** Run-time settings: a change is applied to the proxy and detection and saved in the state. */
  function setupSettings(settings: Settings, state: StateStore, proxy: ProxyServer, detection: Detection) {
    const apply = (next: Settings) => {
      proxy.setRateLimits(next.rateLimits);
      proxy.setTrustProxy(next.trustProxy);
      detection.applyConfig(next.detection);
    };
    return new SettingsService(settings, state, { apply }, logger, configSettings(config));
  }

  /** The admin API and UI (on 127.0.0.1 by default, behind the token). */
  function setupAdmin(p: ApplianceParts, settings: SettingsService, imports: ImportJobs) {
    const { accessLists, requestLog, state, detection, proxy, geo, cluster, token } = p;
    return createAdminServer({
      token,
      host: config.admin.host,
      port: config.admin.port,
      extraHosts: config.adminHosts,
      onOperator: (ip) => accessLists.operator.note(ip),
      accessLists,
      requestLog,
      state,
      detection,
      settings,
      live: { records: proxy.events, flags: detection.flags, lists: accessLists, geo, imports },
      imports,
      uiDir: path.join(PACKAGE_ROOT, 'dist', 'renderer'),
      proxyUrl: () => {
        const address = proxy.server.address();
        return address && typeof address === 'object' ? urlOf(address) : undefined;
      },
      logger,
      version: VERSION,
      now,
      rateLimitIpv6Prefix: config.rateLimitIpv6Prefix,
      problems: () =>
        [...problems, cluster.problem(), listSync?.problem() ?? null, detection.flags.problem()].filter(
          (p) => p !== null,
        ),
    });
  }

  function setPaused(next: boolean): void {
    if (next === paused) return;
    paused = next;
    logger.warn(next ? 'protection paused: blocks are not enforced' : 'protection resumed');
    if (!next) parts?.proxy.endBlockedUpgrades(); // blocks made or connections opened while paused
  }

  async function stop(): Promise<void> {
    if (!parts) return;
    const current = parts;
    parts = undefined;
    try {
      await closeParts(current, { admin, demo }, logger);
    } finally {
      // Even after a failed close, nothing here writes any more: a restart (the desktop app's) may start.
      await rm(runtimeFilePath(config.dataDir), { force: true });
      await lock?.release();
    }
    logger.info('ipwarden stopped; request log flushed');
  }

  return {
    start,
    stop,
    pause: () => setPaused(true),
    resume: () => setPaused(false),
    get running(): boolean {
      return parts !== undefined;
    },
    get paused(): boolean {
      return paused;
    },
    get parts(): ApplianceParts {
      if (!parts) throw new Error('the appliance is not running: call start() first');
      return parts;
    },
  };
}
