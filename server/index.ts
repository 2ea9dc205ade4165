/**
 * The core's public entry for embedders (the desktop shell, DESIGN.md "Layout"): the appliance,
 * its configuration and the admin UI's session cookie. Everything else stays internal.
 */
export { SESSION_COOKIE, sessionValue } from './admin/index.js';
export {
  type Appliance,
  type ApplianceAddresses,
  type ApplianceDeps,
  type ApplianceParts,
  createAppliance,
} from './appliance.js';
export { type Config, ConfigError, type LoadConfigOptions, loadConfig } from './config.js';
export { setupHeapGrowth } from './heap-growth.js';
export { createLogger } from './log.js';
export type { Flag } from './store/index.js';
export { VERSION } from './version.js';
