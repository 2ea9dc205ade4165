import {
  type Appliance,
  type ApplianceAddresses,
  createAppliance,
  loadConfig,
  setupHeapGrowth,
} from '../server/index.js';
import type { DesktopSettings } from './logic/first-run-validation.js';
import type { DesktopPaths } from './logic/paths.js';

/** The appliance running inside the desktop app, with where it can be reached. */
export interface Core {
  appliance: Appliance;
  addresses: ApplianceAddresses;
}

/**
 * Starts the core in process: the first-run answers become `--upstream` and `--listen`, the data
 * dir lives under the app's user-data folder, the admin UI takes a free loopback port. Everything
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
  const appliance = createAppliance(config, { geoipDir: paths.geoipDir });
  try {
    return { appliance, addresses: await appliance.start() };
  } catch (err) {
    await appliance.stop();
    throw err;
  }
}
