import { mkdtemp, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminRouteDeps, adminRoutes } from '../../server/admin/routes.js';
import { type Appliance, type ApplianceAddresses, createAppliance } from '../../server/appliance.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/log.js';
import { flushRecords } from '../helpers/appliance.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/** Attacks on the admin side: no token, wrong token, DNS rebinding, cross-origin writes, the proxy port. */
let upstream: TestUpstream;
let appliance: Appliance;
let addresses: ApplianceAddresses;
let dataDir: string;
let token: string;
const logs: string[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-admin-sec-'));
  const config = loadConfig({
    flags: {
      upstream: upstream.url.href,
      listen: '127.0.0.1:0',
      admin: '127.0.0.1:0',
      dataDir,
      logLevel: 'trace',
    },
    env: {},
    cwd: dataDir,
  });
  config.schedule = false; // a config-file key: the scheduled jobs stay off in this test
  const capture = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString('utf8'));
      callback();
    },
  });
  appliance = createAppliance(config, { logger: createLogger('trace', capture) });
  addresses = await appliance.start();
  token = appliance.parts.token;
});
afterAll(async () => {
  await appliance?.stop();
  await upstream?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** A raw request, so Host and Origin can be anything (fetch() cannot set Host). */
function raw(
  base: string,
  method: string,
  route: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const length = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const req = http.request(
      { hostname, port, method, path: route, headers: { ...headers, ...length } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A concrete path for each route parameter. */
const PARAMS: Record<string, string> = {
  ip: '203.0.113.7',
  target: '203.0.113.7',
  name: 'report',
  kind: 'requests',
  id: 'import-1',
};
/**
 * Every route the admin API has, read from its router (so a new route is covered the day it is
 * added), plus the live event stream mounted beside it; health is the one open route.
 */
const ROUTES = (
  [
    ...adminRoutes({} as AdminRouteDeps).stack.flatMap((layer) =>
      layer.methods
        .filter((method) => method !== 'HEAD')
        .map((method): [string, string] => [
          method,
          String(layer.path).replace(/:(\w+)/g, (_: string, p: string) => PARAMS[p] ?? p),
        ]),
    ),
    ['GET', '/api/events'],
  ] as [string, string][]
).filter(([, route]) => route !== '/api/health');
const WRITES = ROUTES.filter(([method]) => method !== 'GET');
const body = JSON.stringify({ target: '203.0.113.7' });
const stateNow = () => JSON.stringify(appliance.parts.state.data);

describe('admin API authentication', () => {
  it('covers every route: 26 that need the token, 12 of them state-changing', () => {
    expect(ROUTES).toHaveLength(26);
    expect(WRITES).toHaveLength(12);
    expect(ROUTES).toContainEqual(['POST', '/api/import']);
  });

  it.each(ROUTES)(
    '%s %s: 401 without the token, with a wrong one, or with it in the query',
    async (method, route) => {
      const host = new URL(addresses.adminUrl).host;
      const before = stateNow();
      const json = { host, 'content-type': 'application/json' };
      const wrong = `Bearer ${'A'.repeat(token.length)}`;
      for (const headers of [json, { ...json, authorization: wrong }, { ...json, authorization: token }]) {
        const res = await raw(
          addresses.adminUrl,
          method,
          route,
          headers,
          method === 'GET' ? undefined : body,
        );
        expect(res.status).toBe(401);
        expect(res.body).toContain('admin token');
      }
      const query = await raw(addresses.adminUrl, method, `${route}?token=${token}`, json);
      expect(query.status).toBe(401);
      expect(stateNow()).toBe(before);
    },
  );

  it.each(
    ROUTES.flatMap(([method, route]) => [
      [method, route.replace('/api/', '/API/')],
      [method, route.replace('/api/', '/Api/')],
      [method, route.toUpperCase()],
    ]),
  )('%s %s: a route in other letter case is no way around the token', async (method, route) => {
    const host = new URL(addresses.adminUrl).host;
    const before = stateNow();
    const json = { host, 'content-type': 'application/json' };
    const res = await raw(addresses.adminUrl, method, route, json, method === 'GET' ? undefined : body);
    expect(res.status).toBe(401);
    expect(stateNow()).toBe(before);
    // With the token it is no route at all: the API's paths are lower case.
    const authed = await raw(
      addresses.adminUrl,
      method,
      route,
      { ...json, authorization: `Bearer ${token}` },
      method === 'GET' ? undefined : body,
    );
    expect(authed.status).toBe(404);
    expect(stateNow()).toBe(before);
  });

  it('needs the token for anything but reading the UI files', async () => {
    const host = new URL(addresses.adminUrl).host;
    for (const [method, route] of [
      ['POST', '/'],
      ['PUT', '/index.html'],
      ['DELETE', '/anything'],
    ] as const)
      expect((await raw(addresses.adminUrl, method, route, { host }, '{}')).status).toBe(401);
    expect((await raw(addresses.adminUrl, 'GET', '/', { host })).status).not.toBe(401);
  });

  it('answers health without a token, and nothing else', async () => {
    expect((await raw(addresses.adminUrl, 'GET', '/api/health')).status).toBe(200);
  });

  it('keeps the token in a 0600 file and never writes it, or a presented one, to the log', async () => {
    expect((await stat(path.join(dataDir, 'admin-token'))).mode & 0o777).toBe(0o600);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const host = new URL(addresses.adminUrl).host;
    await raw(addresses.adminUrl, 'POST', '/api/blocks', { host, ...auth }, body);
    await raw(addresses.adminUrl, 'PUT', '/api/settings', { host, ...auth }, '{"bogus":1}');
    await raw(addresses.adminUrl, 'GET', '/api/blocks', { host, authorization: 'Bearer guessed-token-123' });
    await raw(addresses.proxyUrl, 'GET', `/?token=${token}`, { authorization: `Bearer ${token}` });
    await flushRecords(appliance);
    const text = logs.join('');
    expect(text).toContain('ipwarden started'); // the capture works
    expect(text).not.toContain(token);
    expect(text).not.toContain('guessed-token-123');
  });
});

describe('admin API Host and Origin checks', () => {
  it.each(['evil.example', 'localhost.evil.example', '127.0.0.1.nip.io', 'localhost'])(
    'Host %j (DNS rebinding) is refused with 421 even with the token',
    async (name) => {
      const port = new URL(addresses.adminUrl).port;
      const res = await raw(addresses.adminUrl, 'GET', '/api/blocks', {
        host: name === 'localhost' ? `localhost:${Number(port) + 1}` : `${name}:${port}`,
        authorization: `Bearer ${token}`,
      });
      expect(res.status).toBe(421);
    },
  );

  it.each(WRITES)(
    '%s %s with a foreign Origin is refused with 403 and changes nothing',
    async (method, route) => {
      const host = new URL(addresses.adminUrl).host;
      const before = stateNow();
      for (const origin of ['http://evil.example', 'null', `http://${host}.evil.example`, 'file://']) {
        const res = await raw(
          addresses.adminUrl,
          method,
          route,
          { host, origin, authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body,
        );
        expect(res.status, origin).toBe(403);
      }
      expect(stateNow()).toBe(before);
    },
  );
});

describe('the proxy port never serves the admin side', () => {
  it.each(['/api/health', '/api/blocks', '/api/session', '/', '/index.html', '/app.js', '/#token=x'])(
    '%s on the proxy port goes to the upstream',
    async (route) => {
      const seen = upstream.seen.length;
      const res = await raw(addresses.proxyUrl, 'GET', route, { authorization: `Bearer ${token}` });
      expect(res.status).toBe(200);
      expect(res.body).toBe('ok'); // the test upstream's answer, not the admin API or UI
      expect(upstream.seen.length).toBe(seen + 1);
    },
  );

  it('a block POSTed to the proxy port changes nothing', async () => {
    const before = stateNow();
    const res = await raw(
      addresses.proxyUrl,
      'POST',
      '/api/blocks',
      { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      JSON.stringify({ target: '198.51.100.99' }),
    );
    expect(res.body).toBe('ok');
    expect(stateNow()).toBe(before);
  });
});

describe('admin server on a wildcard address', () => {
  it('still refuses foreign host names; answers IP literals and --admin-hosts names', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-admin-wild-'));
    const config = loadConfig({
      flags: {
        upstream: upstream.url.href,
        listen: '127.0.0.1:0',
        admin: '0.0.0.0:0',
        adminHosts: 'ipwarden.lan',
        dataDir: dir,
        logLevel: 'silent',
      },
      env: {},
      cwd: dir,
    });
    config.schedule = false;
    const wild = createAppliance(config, { logger: createLogger('silent') });
    const { adminUrl } = await wild.start();
    try {
      const port = new URL(adminUrl).port;
      const auth = { authorization: `Bearer ${wild.parts.token}` };
      const status = async (host: string) =>
        (await raw(adminUrl, 'GET', '/api/blocks', { ...auth, host })).status;
      expect(await status(`evil.example:${port}`)).toBe(421);
      expect(await status(`127.0.0.1:${port}`)).toBe(200);
      expect(await status(`192.168.1.20:${port}`)).toBe(200);
      expect(await status(`ipwarden.lan:${port}`)).toBe(200);
      // A page served from another IP at the same port is not the UI, though its host would pass.
      const write = await raw(
        adminUrl,
        'POST',
        '/api/blocks',
        {
          ...auth,
          host: `127.0.0.1:${port}`,
          origin: `http://192.168.1.20:${port}`,
          'content-type': 'application/json',
        },
        JSON.stringify({ target: '198.51.100.77' }),
      );
      expect(write.status).toBe(403);
      expect(wild.parts.accessLists.listBlocks()).toEqual([]);
    } finally {
      await wild.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
