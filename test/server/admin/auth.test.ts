import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Koa from 'koa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiErrorBoundary } from '../../../server/admin/api-error.js';
import { adminGuard, adminTokenPath, ensureAdminToken, safeEqual } from '../../../server/admin/auth.js';
import { createLogger } from '../../../server/log.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let dataDir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir: dataDir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

const mode = async (file: string) => (await stat(file)).mode & 0o777;
const posix = process.platform !== 'win32';

describe('ensureAdminToken', () => {
  it('creates <dataDir>/admin-token holding a long random token, readable only by the owner', async () => {
    const token = await ensureAdminToken(dataDir);
    const file = adminTokenPath(dataDir);
    expect(file).toBe(path.join(dataDir, 'admin-token'));
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect((await readFile(file, 'utf8')).trim()).toBe(token);
    if (posix) expect(await mode(file)).toBe(0o600);
  });

  it('returns the same token on every later start', async () => {
    const first = await ensureAdminToken(dataDir);
    expect(await ensureAdminToken(dataDir)).toBe(first);
    expect(await ensureAdminToken(dataDir)).toBe(first);
  });

  it('gives different data dirs different tokens', async () => {
    const other = await makeTempDir();
    try {
      expect(await ensureAdminToken(other.dir)).not.toBe(await ensureAdminToken(dataDir));
    } finally {
      await other.cleanup();
    }
  });

  it('keeps an operator-provided token and tightens its permissions', async () => {
    const chosen = 'operator-chosen-token-that-is-long-enough-1234';
    await writeFile(adminTokenPath(dataDir), `${chosen}\n`, { mode: 0o644 });
    await chmod(adminTokenPath(dataDir), 0o644);
    expect(await ensureAdminToken(dataDir)).toBe(chosen);
    if (posix) expect(await mode(adminTokenPath(dataDir))).toBe(0o600);
  });

  it('replaces a token too short to be safe', async () => {
    await writeFile(adminTokenPath(dataDir), 'short\n');
    const token = await ensureAdminToken(dataDir);
    expect(token).not.toBe('short');
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect((await readFile(adminTokenPath(dataDir), 'utf8')).trim()).toBe(token);
  });

  it('fails with the fs error when the data dir does not exist', async () => {
    await expect(ensureAdminToken(path.join(dataDir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('safeEqual', () => {
  it('is true only for identical strings', () => {
    expect(safeEqual('secret-token', 'secret-token')).toBe(true);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('secret-token', 'secret-tokem')).toBe(false);
    expect(safeEqual('secret-token', 'secret-token ')).toBe(false);
    expect(safeEqual('secret-token', '')).toBe(false);
    expect(safeEqual('a', 'a'.repeat(10_000))).toBe(false);
    expect(safeEqual('é', 'e\u0301')).toBe(false);
  });
});

describe('adminGuard', () => {
  it('reports the remote address of authenticated requests only (the operator addresses)', async () => {
    const seen: string[] = [];
    const app = new Koa();
    app.use(apiErrorBoundary(createLogger('silent')));
    app.use(
      adminGuard({ token: 'a'.repeat(40), hostAllowed: () => true, onAuthenticated: (ip) => seen.push(ip) }),
    );
    app.use((ctx) => {
      ctx.body = 'ok';
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/x`;
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: `Bearer ${'b'.repeat(40)}` } })).status).toBe(401);
      expect(seen).toEqual([]);
      expect((await fetch(url, { headers: { authorization: `Bearer ${'a'.repeat(40)}` } })).status).toBe(200);
      expect(seen).toEqual(['127.0.0.1']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
