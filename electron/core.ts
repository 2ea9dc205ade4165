import {
  type Appliance,
  type ApplianceAddresses,
  createAppliance,
  createLogger,
  loadConfig,
  setupHeapGrowth,
} from '../server/index.js';
import type { DesktopSettings } from './logic/first-run-validation.js';
import { openLogFile } from './logic/log-file.js';
import type { DesktopPaths } from './logic/paths.js';

/** The appliance running inside the desktop app, with where it can be reached. */
export interface Core {
  appliance: Appliance;
  addresses: ApplianceAddresses;
  /** Stops the appliance (request log flushed), then closes its log file. */
  stop(): Promise<void>;
}

/**
 * Starts the core in process: the first-run answers become `--upstream` and `--listen`, the data
 * dir lives under the app's user-data folder, the admin UI takes a free loopback port, and the log
 * goes to `ipwarden.log` in the data dir. Everything
 * else follows the usual precedence (IPWARDEN_* variables, then `ipwarden.config.json` in the
 * user-data folder, README "Options").
 * @throws ConfigError for a bad setting; the listen error when the port is taken.
 */
export async function startCore(
  settings: DesktopSettings,
  paths: DesktopPaths,
  userData: string,
): Promise<Core> {
  const config = loadConfig({
    cwd: userData,
    flags: {
      upstream: settings.upstream,
      listen: `0.0.0.0:${settings.proxyPort}`,
      admin: '127.0.0.1:0',
      dataDir: paths.dataDir,
    },
  });
  setupHeapGrowth();
  // Not stdout: a GUI app has none it can use (see openLogFile).
  const log = await openLogFile(paths.logFile);
  const logger = createLogger(config.logLevel, log);
  const appliance = createAppliance(config, { geoipDir: paths.geoipDir, logger });
  const stop = async () => {
    try {
      await appliance.stop();
    } finally {
      await new Promise<void>((resolve) => log.end(() => resolve()));
    }
  };
  try {
    return { appliance, addresses: await appliance.start(), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
