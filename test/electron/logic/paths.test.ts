import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { desktopPaths } from '../../../electron/logic/paths.js';

describe('desktopPaths', () => {
  const userData = path.join('/home/you/.config', 'ipwarden');

  it('keeps data and settings under the user-data folder', () => {
    const paths = desktopPaths({ userData, resourcesPath: '/opt/ipwarden/resources', packaged: true });
    expect(paths.dataDir).toBe(path.join(userData, 'data'));
    expect(paths.settingsFile).toBe(path.join(userData, 'desktop.json'));
    expect(paths.logFile).toBe(path.join(userData, 'data', 'ipwarden.log'));
  });

  it('reads the geolocation databases from resources/geoip when packaged, from node_modules from source', () => {
    expect(
      desktopPaths({ userData, resourcesPath: '/opt/ipwarden/resources', packaged: true }).geoipDir,
    ).toBe(path.join('/opt/ipwarden/resources', 'geoip'));
    expect(
      desktopPaths({ userData, resourcesPath: '/x/electron/dist/resources', packaged: false }).geoipDir,
    ).toBe(undefined);
  });
});
