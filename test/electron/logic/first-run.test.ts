import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateFirstRun } from '../../../electron/logic/first-run-validation.js';
import { readDesktopSettings, writeDesktopSettings } from '../../../electron/logic/settings-file.js';

describe('validateFirstRun', () => {
  it('accepts an http(s) upstream and a port, normalised', () => {
    expect(validateFirstRun({ upstream: ' http://127.0.0.1:3000/ ', proxyPort: '8080' })).toEqual({
      ok: true,
      settings: { upstream: 'http://127.0.0.1:3000', proxyPort: 8080 },
    });
    expect(validateFirstRun({ upstream: 'https://example.com/app', proxyPort: 443 })).toEqual({
      ok: true,
      settings: { upstream: 'https://example.com/app', proxyPort: 443 },
    });
  });

  it.each([
    ['', /upstream is required/],
    ['127.0.0.1:3000', /must start with http:\/\/ or https:\/\//],
    ['http://exa mple.com', /not a URL/],
    ['ftp://example.com', /must start with http/],
    ['http://user:pw@example.com', /user name or password/],
    ['http://example.com/?a=1', /query/],
  ])('names the upstream problem in %j', (upstream, message) => {
    const result = validateFirstRun({ upstream, proxyPort: '8080' });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.upstream).toMatch(message);
      expect(result.errors.proxyPort).toBeUndefined();
    }
  });

  it.each([['0'], ['65536'], ['80.5'], ['eighty'], [''], [-1]])('refuses the port %j', (proxyPort) => {
    const result = validateFirstRun({ upstream: 'http://127.0.0.1:3000', proxyPort });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.proxyPort).toMatch(/proxy port must be/);
  });

  it("refuses the site's own port on this machine (the proxy would call itself)", () => {
    const result = validateFirstRun({ upstream: 'http://localhost:8080', proxyPort: '8080' });
    expect(result).toEqual({
      ok: false,
      errors: { proxyPort: "port 8080 is your site's own port: pick another one" },
    });
    expect(validateFirstRun({ upstream: 'http://192.0.2.10:8080', proxyPort: '8080' }).ok).toBe(true);
  });
});

describe('desktop settings file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-desktop-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is missing on first run, then reads back what was saved, owner-only, without temp files', async () => {
    const file = path.join(dir, 'sub', 'desktop.json');
    expect(await readDesktopSettings(file)).toEqual({ kind: 'missing' });
    await writeDesktopSettings(file, { upstream: 'http://127.0.0.1:3000', proxyPort: 8080 });
    expect(await readDesktopSettings(file)).toEqual({
      kind: 'ok',
      settings: { upstream: 'http://127.0.0.1:3000', proxyPort: 8080 },
    });
    expect(await readdir(path.dirname(file))).toEqual(['desktop.json']);
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
    await writeDesktopSettings(file, { upstream: 'http://127.0.0.1:4000', proxyPort: 9090 });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      upstream: 'http://127.0.0.1:4000',
      proxyPort: 9090,
    });
  });

  it('reports a corrupt or invalid file with the reason instead of replacing it', async () => {
    const file = path.join(dir, 'desktop.json');
    await writeFile(file, '{ nope');
    const corrupt = await readDesktopSettings(file);
    expect(corrupt.kind).toBe('invalid');
    if (corrupt.kind === 'invalid') expect(corrupt.problem).toMatch(/not valid JSON/);
    await writeFile(file, JSON.stringify({ upstream: 'gopher://x', proxyPort: 8080 }));
    const invalid = await readDesktopSettings(file);
    if (invalid.kind !== 'invalid') throw new Error(`expected invalid, got ${invalid.kind}`);
    expect(invalid.problem).toMatch(/http:\/\/ or https:\/\//);
    expect(await readFile(file, 'utf8')).toContain('gopher://x');
  });
});
