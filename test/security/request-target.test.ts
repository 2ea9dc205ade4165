import http from 'node:http';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allRecords, startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/**
 * Request targets and upgrades that once went around the rules (from a security review):
 * absolute-form and `#` targets escaped the login rate limit and detection, an `Upgrade` header
 * skipped every rate limit, an upgrade with a body held upstream connections, and dot segments
 * escaped an upstream base path.
 */
let upstream: TestUpstream;
let app: TestAppliance;
/** Upgrade requests the WebSocket upstream saw, and the sockets it still holds. */
let wsSeen: string[];
let wsOpen: Set<net.Socket>;
let wsUpstream: http.Server;

beforeAll(async () => {
  upstream = await startUpstream();
  wsSeen = [];
  wsOpen = new Set();
  wsUpstream = http.createServer((_req, res) => setTimeout(() => res.end('ok'), 200));
  wsUpstream.on('upgrade', (req, socket: net.Socket) => {
    wsSeen.push(`${req.method} ${req.url}`);
    wsOpen.add(socket);
    socket.on('close', () => wsOpen.delete(socket));
    socket.on('end', () => socket.end()); // upgraded server sockets are half-open by default
    if (req.headers['content-length']) return; // waits for a body that never comes
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  });
  await new Promise<void>((resolve) => wsUpstream.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await upstream.close();
  for (const socket of wsOpen) socket.destroy();
  wsUpstream.closeAllConnections();
  await new Promise((resolve) => wsUpstream.close(resolve));
});
afterEach(async () => {
  await app?.stop();
  upstream.seen.length = 0;
  wsSeen.length = 0;
});

/** Sends `request` raw and returns the first status line's code (or 0 if the socket closed first). */
function rawStatus(request: string, { wait = 2_000 } = {}): Promise<number> {
  const port = Number(new URL(app.addresses.proxyUrl).port);
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    const done = () => {
      socket.destroy();
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0));
    };
    const timer = setTimeout(done, wait);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        clearTimeout(timer);
        done();
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      done();
    });
    socket.on('error', reject);
  });
}

const login = (target: string) =>
  `POST ${target} HTTP/1.1\r\nHost: site\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\nConnection: close\r\n\r\nu=x`;

describe('request targets', () => {
  it('an absolute-form target is the path it names: rate-limited, recorded and forwarded as /login', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href });
    const statuses = [];
    for (const target of [
      'http://anything/login',
      'https://x.example/login?a=1',
      'HTTP://y/login',
      '/login#x',
    ])
      statuses.push(await rawStatus(login(target)));
    statuses.push(await rawStatus(login('/login')), await rawStatus(login('http://z/login')));
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(upstream.seen.map((r) => r.url)).toEqual(['/login', '/login?a=1', '/login', '/login', '/login']);
    const records = await allRecords(app);
    expect(records.map((r) => r.url.path)).toEqual(Array(6).fill('/login'));
  });

  it('cuts a fragment off as nginx does, and answers 400 to a target of another form', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href });
    expect(await rawStatus(login('ftp://x/login'))).toBe(400);
    expect(upstream.seen).toEqual([]);
    expect(await rawStatus('GET /a?b=1#frag HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toBe(200);
    expect(upstream.seen.map((r) => r.url)).toEqual(['/a?b=1']);
    const records = await allRecords(app);
    expect(records.map((r) => [r.http.response.status_code, r.url.path, r.url.query])).toEqual([
      [400, 'ftp://x/login', undefined],
      [200, '/a', 'b=1'],
    ]);
  });

  it('keeps a request inside the upstream base path: dot segments get 400', async () => {
    app = await startTestAppliance({ upstream: new URL('/app/', upstream.url).href });
    for (const target of [
      '/../internal',
      '/%2e%2e/internal',
      '/a/%2E/../../internal',
      '/..?x=1',
      '/..%2finternal',
      '/%2e%2e%2Finternal',
      '/..%5cinternal',
      '/..\\internal',
      '/..;x=1/internal',
    ])
      expect(await rawStatus(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).toBe(400);
    expect(await rawStatus('GET /page.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toBe(200);
    // Escaped slashes and dots in a query are no path: a login's next= must pass.
    const query = '/login?next=%2F.%2Fhome&dir=%2Fdocs%2F..%2Fimg';
    expect(await rawStatus(`GET ${query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).toBe(200);
    expect(await rawStatus('GET http://h/../internal HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toBe(
      200,
    );
    expect(upstream.seen.map((r) => r.url)).toEqual([
      '/app/page.html',
      '/app/login?next=%2F.%2Fhome&dir=%2Fdocs%2F..%2Fimg',
      '/app/internal',
    ]);
  });
});

/** Opens a WebSocket through the proxy (until its 101); `closed()` says whether it has ended since. */
async function openWebSocket(): Promise<{ closed: () => boolean }> {
  const port = Number(new URL(app.addresses.proxyUrl).port);
  const socket = net.connect(port, '127.0.0.1', () => socket.write(upgrade('/ws')));
  socket.on('error', () => undefined);
  let closed = false;
  socket.once('close', () => {
    closed = true;
  });
  await new Promise<void>((resolve) =>
    socket.on('data', (chunk: Buffer) => chunk.toString().startsWith('HTTP/1.1 101') && resolve()),
  );
  return { closed: () => closed };
}

const upgrade = (target: string, extra = '') =>
  `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${extra}\r\n`;

describe('upgrades', () => {
  it('an Upgrade header does not skip a rate limit; the 429 is recorded', async () => {
    app = await startTestAppliance({
      upstream: `http://127.0.0.1:${(wsUpstream.address() as net.AddressInfo).port}`,
    });
    const rule = { name: 'ws', paths: ['/ws'], methods: ['GET'], anonymous: { max: 2, period: '1m' } };
    const put = await app.admin('/api/settings', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rateLimits: [rule] }),
    });
    expect(put.status).toBe(200);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await rawStatus(upgrade('/ws')));
    expect(statuses).toEqual([101, 101, 429, 429]);
    expect(wsSeen).toEqual(['GET /ws', 'GET /ws']);
    const records = await allRecords(app);
    expect(records.map((r) => [r.http.response.status_code, r.event.action, r.rule?.name])).toEqual([
      [101, 'allowed', undefined],
      [101, 'allowed', undefined],
      [429, 'rate_limited', 'ratelimit:ws'],
      [429, 'rate_limited', 'ratelimit:ws'],
    ]);
  });

  it('refuses an upgrade with a body or another method, and a blocked client still gets 403', async () => {
    app = await startTestAppliance({
      upstream: `http://127.0.0.1:${(wsUpstream.address() as net.AddressInfo).port}`,
    });
    expect(await rawStatus(upgrade('/ws', 'Content-Length: 1000\r\n'))).toBe(400);
    expect(await rawStatus(upgrade('/ws', 'Transfer-Encoding: chunked\r\n'))).toBe(400);
    expect(await rawStatus(upgrade('/ws').replace(/^GET/, 'POST'))).toBe(400);
    expect(await rawStatus(upgrade('ws://h/ws'))).toBe(400);
    expect(wsSeen).toEqual([]);
    await app.appliance.parts.accessLists.block({ target: '127.0.0.1', actor: 'test', force: true });
    expect(await rawStatus(upgrade('/ws'))).toBe(403);
    expect(wsSeen).toEqual([]);
  });

  it('an upgrade pipelined behind a request still being answered waits its turn (it crashed the process)', async () => {
    app = await startTestAppliance({
      upstream: `http://127.0.0.1:${(wsUpstream.address() as net.AddressInfo).port}`,
    });
    const port = Number(new URL(app.addresses.proxyUrl).port);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () =>
        socket.write(`GET /slow HTTP/1.1\r\nHost: x\r\n\r\n${upgrade('/ws')}`),
      );
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.includes('HTTP/1.1 101')) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
      setTimeout(() => resolve(text), 3_000);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 200[\s\S]*\r\n\r\nok[\s\S]*HTTP\/1\.1 101/);
    expect((await app.proxy('/')).status).toBe(200);
    const records = await allRecords(app);
    expect(records.map((r) => [r.url.path, r.http.response.status_code])).toEqual([
      ['/slow', 200],
      ['/ws', 101],
      ['/', 200],
    ]);
  });

  it('a block ends the open WebSocket connections of the clients it covers', async () => {
    app = await startTestAppliance({
      upstream: `http://127.0.0.1:${(wsUpstream.address() as net.AddressInfo).port}`,
    });
    const ws = await openWebSocket();
    await app.appliance.parts.accessLists.block({ target: '198.18.0.0/15', actor: 'test' }); // not this client
    await new Promise((r) => setTimeout(r, 100));
    expect(ws.closed()).toBe(false);
    await app.appliance.parts.accessLists.block({ target: '127.0.0.0/8', actor: 'test', force: true });
    await expect.poll(ws.closed, { timeout: 3_000 }).toBe(true);
  });

  it('a block made while protection is paused ends the connection once protection resumes', async () => {
    app = await startTestAppliance({
      upstream: `http://127.0.0.1:${(wsUpstream.address() as net.AddressInfo).port}`,
    });
    const ws = await openWebSocket();
    app.appliance.pause();
    await app.appliance.parts.accessLists.block({ target: '127.0.0.0/8', actor: 'test', force: true });
    await new Promise((r) => setTimeout(r, 100));
    expect(ws.closed()).toBe(false); // paused: nothing is enforced
    app.appliance.resume();
    await expect.poll(ws.closed, { timeout: 3_000 }).toBe(true);
  });

  it('a client leaving before the upstream answers closes the upstream connection', async () => {
    app = await startTestAppliance({
      upstream: `http://127.0.0.1:${(wsUpstream.address() as net.AddressInfo).port}`,
    });
    // `Content-Length: 0` reaches the upstream, which (in this test) then never answers.
    expect(await rawStatus(upgrade('/hold', 'Content-Length: 0\r\n'), { wait: 300 })).toBe(0);
    expect(wsSeen).toEqual(['GET /hold']);
    await expect.poll(() => wsOpen.size, { timeout: 3_000 }).toBe(0);
  });
});
