import http from 'node:http';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allRecords, startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { patternBuffer, startUpstream, type TestUpstream } from '../helpers/upstream.js';

let upstream: TestUpstream;
let app: TestAppliance;

beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream.close();
});
afterEach(async () => {
  await app?.stop();
  upstream.seen.length = 0;
});

/** A request with an explicit X-Forwarded-For (fetch cannot set some headers; plain http can). */
function get(
  base: string,
  pathname: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(new URL(pathname, base), { headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      })
      .on('error', reject);
  });
}

describe('blocklist', () => {
  it('answers 403 to a blocked IP and a blocked CIDR, and the upstream sees nothing', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href, trustProxy: 'loopback' });
    const lists = app.appliance.parts.accessLists;
    await lists.block({ target: '203.0.113.7', reason: 'test', actor: 'test' });
    await lists.block({ target: '198.51.100.0/24', reason: 'range', actor: 'test' });
    await lists.block({ target: '2001:db8:bad::/48', reason: 'v6 range', actor: 'test' });

    const single = await get(app.addresses.proxyUrl, '/a', { 'x-forwarded-for': '203.0.113.7' });
    const inRange = await get(app.addresses.proxyUrl, '/b', { 'x-forwarded-for': '198.51.100.200' });
    const v6 = await get(app.addresses.proxyUrl, '/c', { 'x-forwarded-for': '2001:db8:bad:1::5' });
    expect([single.status, inRange.status, v6.status]).toEqual([403, 403, 403]);
    expect(single.body).toContain('403 Forbidden');
    expect(upstream.seen).toHaveLength(0);

    const neighbour = await get(app.addresses.proxyUrl, '/d', { 'x-forwarded-for': '198.51.101.1' });
    expect(neighbour.status).toBe(200);
    expect(upstream.seen.map((r) => r.url)).toEqual(['/d']);
  });

  it('lets an allowlisted address through a blocked range', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href, trustProxy: 'loopback' });
    const lists = app.appliance.parts.accessLists;
    const result = await lists.block({ target: '198.51.100.0/24', actor: 'test' });
    expect(result.warnings).toEqual([]);
    await lists.allow({ target: '198.51.100.9', actor: 'test' });
    expect((await get(app.addresses.proxyUrl, '/', { 'x-forwarded-for': '198.51.100.9' })).status).toBe(200);
    expect((await get(app.addresses.proxyUrl, '/', { 'x-forwarded-for': '198.51.100.10' })).status).toBe(403);
  });

  it('applies a block made through the admin API to the very next request', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href });
    expect((await app.proxy('/')).status).toBe(200);
    // Blocking one's own (loopback) address needs the explicit force (lockout prevention).
    const created = await app.admin('/api/blocks?force=true', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target: '127.0.0.1', reason: 'me', duration: '1h' }),
    });
    expect(created.status).toBe(201);
    expect((await app.proxy('/')).status).toBe(403);
    expect((await app.admin('/api/blocks/127.0.0.1', { method: 'DELETE' })).status).toBe(200);
    expect((await app.proxy('/')).status).toBe(200);
  });
});

describe('client IP and X-Forwarded-For', () => {
  it('ignores a spoofed X-Forwarded-For from an untrusted peer', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href });
    await app.appliance.parts.accessLists.block({ target: '127.0.0.1', actor: 'test', force: true });
    // The attacker claims to be someone else: still blocked as the socket address.
    expect((await get(app.addresses.proxyUrl, '/', { 'x-forwarded-for': '8.8.8.8' })).status).toBe(403);
    const records = await allRecords(app);
    expect(records.map((r) => r.source.ip)).toEqual(['127.0.0.1']);
  });

  it('honours X-Forwarded-For from a trusted proxy and passes a clean chain upstream', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href, trustProxy: 'loopback' });
    expect(
      (await get(app.addresses.proxyUrl, '/x', { 'x-forwarded-for': '1.1.1.1, 81.2.69.142' })).status,
    ).toBe(200);
    const [record] = await allRecords(app);
    expect(record?.source.ip).toBe('81.2.69.142');
    expect(upstream.seen[0]?.headers['x-forwarded-for']).toBe('1.1.1.1, 81.2.69.142, 127.0.0.1');
  });

  it('replaces X-Forwarded-For from an untrusted peer instead of passing the spoof on', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href });
    await get(app.addresses.proxyUrl, '/x', { 'x-forwarded-for': '6.6.6.6', host: 'example.test' });
    expect(upstream.seen[0]?.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(upstream.seen[0]?.headers['x-forwarded-proto']).toBe('http');
    expect(upstream.seen[0]?.headers.host).toBe('example.test');
  });
});

describe('forwarding', () => {
  it('streams a 5 MB body both ways intact', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href });
    const body = patternBuffer(5 * 1024 * 1024);
    const response = await app.proxy('/echo', { method: 'POST', body });
    const echoed = Buffer.from(await response.arrayBuffer());
    expect(response.status).toBe(200);
    expect(echoed.length).toBe(body.length);
    expect(echoed.equals(body)).toBe(true);

    const download = await app.proxy(`/big?bytes=${5 * 1024 * 1024}`);
    expect(Buffer.from(await download.arrayBuffer()).equals(body)).toBe(true);
  });

  it('answers 502 with a clear page when the upstream is down', async () => {
    const dead = await startUpstream();
    const deadUrl = dead.url.href;
    await dead.close();
    app = await startTestAppliance({ upstream: deadUrl });
    const response = await app.proxy('/');
    expect(response.status).toBe(502);
    expect(await response.text()).toContain('Bad Gateway');
    const [record] = await allRecords(app);
    expect(record?.http.response.status_code).toBe(502);
  });

  it('answers 504 when the upstream is too slow', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href, upstreamTimeout: '200ms' });
    const response = await app.proxy('/slow?ms=2000');
    expect(response.status).toBe(504);
    expect(await response.text()).toContain('Gateway Timeout');
  });

  it('answers Expect: 100-continue itself and forwards the body without the field', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href });
    const body = patternBuffer(256 * 1024);
    const echoed = await new Promise<{ continued: boolean; status: number; bytes: Buffer }>(
      (resolve, reject) => {
        let continued = false;
        const req = http.request(new URL('/echo', app.addresses.proxyUrl), {
          method: 'POST',
          agent: false,
          headers: { expect: '100-continue', 'content-length': String(body.length) },
        });
        req.on('continue', () => {
          continued = true;
          req.end(body);
        });
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ continued, status: res.statusCode ?? 0, bytes: Buffer.concat(chunks) }),
          );
        });
        req.on('error', reject);
      },
    );
    expect(echoed.continued).toBe(true);
    expect(echoed.status).toBe(200);
    expect(echoed.bytes.equals(body)).toBe(true);
    expect(upstream.seen.at(-1)?.headers.expect).toBeUndefined();
    expect(upstream.seen.at(-1)?.bodyBytes).toBe(body.length);
  });

  it.each([
    ['OPTIONS *', 'OPTIONS', '*', 'HTTP/1.1 200 OK\r\nallow: GET, POST\r\ncontent-length: 3\r\n\r\nall'],
    [
      'an unasked 100 Continue',
      'GET',
      '/hundred',
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nall',
    ],
  ])("carries %s through Node's client", async (_, method, target, answer) => {
    const seen: string[] = [];
    const sockets = new Set<net.Socket>();
    const raw = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('data', (chunk: Buffer) => {
        seen.push(chunk.toString('latin1').split('\r\n')[0] as string);
        socket.write(answer);
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    try {
      app = await startTestAppliance({
        upstream: `http://127.0.0.1:${(raw.address() as net.AddressInfo).port}`,
      });
      const proxyPort = Number(new URL(app.addresses.proxyUrl).port);
      const reply = await new Promise<string>((resolve, reject) => {
        const client = net.connect(proxyPort, '127.0.0.1', () =>
          client.write(`${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
        );
        let text = '';
        client.on('data', (chunk: Buffer) => {
          text += chunk.toString('latin1');
        });
        client.on('end', () => resolve(text));
        client.on('error', reject);
      });
      expect(reply.startsWith('HTTP/1.1 200 OK')).toBe(true);
      expect(reply.endsWith('\r\n\r\nall')).toBe(true);
      expect(seen.at(-1)).toBe(`${method} ${target} HTTP/1.1`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });

  it.each([
    [
      'a 304 with the Content-Length of the full answer',
      'HTTP/1.1 304 Not Modified\r\netag: "x"\r\ncontent-length: 50\r\n\r\n',
      304,
      '',
    ],
    ['a reason phrase in Latin-1', 'HTTP/1.1 200 Tr\xe8s bien\r\ncontent-length: 2\r\n\r\nok', 200, 'ok'],
  ])('relays %s', async (_, answer, status, body) => {
    const sockets = new Set<net.Socket>();
    const raw = net.createServer((socket) => {
      sockets.add(socket);
      socket.once('data', () => socket.write(Buffer.from(answer, 'latin1')));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const port = (raw.address() as net.AddressInfo).port;
    try {
      app = await startTestAppliance({ upstream: `http://127.0.0.1:${port}` });
      const response = await get(app.addresses.proxyUrl, '/cached', { 'if-none-match': '"x"' });
      expect(response.status).toBe(status);
      expect(response.body).toBe(body);
      const [record] = await allRecords(app);
      expect(record?.http.response.status_code).toBe(status);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });

  it('relays the final answer after a 103 Early Hints, not the hint', async () => {
    const hinting = http.createServer((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      res.writeHead(200, { 'content-type': 'text/plain', 'x-final': 'yes' });
      res.end('final');
    });
    await new Promise<void>((resolve) => hinting.listen(0, '127.0.0.1', resolve));
    const port = (hinting.address() as net.AddressInfo).port;
    try {
      app = await startTestAppliance({ upstream: `http://127.0.0.1:${port}` });
      const response = await get(app.addresses.proxyUrl, '/hinted');
      expect(response).toMatchObject({ status: 200, body: 'final', headers: { 'x-final': 'yes' } });
    } finally {
      await new Promise<void>((resolve) => {
        hinting.closeAllConnections();
        hinting.close(() => resolve());
      });
    }
  });

  it('pauses the upstream while the client reads nothing, and aborts it when the client leaves', async () => {
    // An upstream that writes 64 MB in 64 KB chunks, waiting for `drain` as a well-behaved server does.
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let written = 0;
    let closedEarly: () => void = () => {};
    const upstreamClosed = new Promise<void>((resolve) => {
      closedEarly = resolve;
    });
    const streaming = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.on('close', () => {
        if (!res.writableFinished) closedEarly();
      });
      const pump = () => {
        while (written < 64 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => streaming.listen(0, '127.0.0.1', resolve));
    const port = (streaming.address() as net.AddressInfo).port;
    try {
      app = await startTestAppliance({ upstream: `http://127.0.0.1:${port}` });
      const client = net.connect(Number(new URL(app.addresses.proxyUrl).port), '127.0.0.1');
      client.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
      client.pause(); // read nothing: the kernel buffers fill, then back-pressure must reach the upstream
      let settled = -1;
      for (let i = 0; i < 100 && settled !== written; i++) {
        settled = written;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(written).toBeGreaterThan(0);
      expect(written).toBeLessThan(32 * 1024 * 1024);
      client.destroy();
      await upstreamClosed;
      const [record] = await allRecords(app);
      expect(record?.url.path).toBe('/stream');
    } finally {
      await new Promise<void>((resolve) => {
        streaming.closeAllConnections();
        streaming.close(() => resolve());
      });
    }
  });

  it('relays a WebSocket-style upgrade and records it', async () => {
    const wsUpstream = http.createServer();
    wsUpstream.on('upgrade', (_req, socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (chunk: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), chunk])));
      socket.on('end', () => socket.end()); // upgraded server sockets are half-open by default
    });
    await new Promise<void>((resolve) => wsUpstream.listen(0, '127.0.0.1', resolve));
    const port = (wsUpstream.address() as net.AddressInfo).port;
    app = await startTestAppliance({ upstream: `http://127.0.0.1:${port}` });
    const proxyPort = Number(new URL(app.addresses.proxyUrl).port);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(proxyPort, '127.0.0.1', () => {
        socket.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('\r\n\r\n') && !text.includes('echo:')) socket.write('hello');
        if (text.includes('echo:hello')) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
    });
    expect(reply.startsWith('HTTP/1.1 101')).toBe(true);
    expect(reply).toContain('echo:hello');
    const records = await allRecords(app);
    expect(records.map((r) => [r.url.path, r.http.response.status_code])).toEqual([['/ws', 101]]);
    await new Promise<void>((resolve) => {
      wsUpstream.closeAllConnections();
      wsUpstream.close(() => resolve());
    });
  });
});

describe('request log', () => {
  it('records every exchange exactly once: allowed, blocked and upstream errors', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href, trustProxy: 'loopback' });
    await app.appliance.parts.accessLists.block({ target: '203.0.113.0/24', actor: 'test' });
    const requests = [];
    for (let i = 0; i < 40; i++) {
      const ip = i % 4 === 0 ? `203.0.113.${i}` : `81.2.69.${i}`;
      requests.push(
        get(app.addresses.proxyUrl, `/page/${i}?q=${i}`, {
          'x-forwarded-for': ip,
          'user-agent': `agent-${i}`,
        }),
      );
    }
    await Promise.all(requests);
    const records = await allRecords(app);
    expect(records).toHaveLength(40);
    expect(new Set(records.map((r) => r.url.path)).size).toBe(40);
    const blocked = records.filter((r) => r.event.action === 'blocked');
    expect(blocked).toHaveLength(10);
    expect(
      blocked.every(
        (r) => r.http.response.status_code === 403 && r.rule?.name === 'blocklist:203.0.113.0/24',
      ),
    ).toBe(true);
    const sample = records.find((r) => r.url.path === '/page/1');
    expect(sample).toMatchObject({
      source: { ip: '81.2.69.1', geo: { country_iso_code: 'GB' } },
      http: { request: { method: 'GET' }, response: { status_code: 200 } },
      url: { query: 'q=1' },
      user_agent: { original: 'agent-1' },
      event: { action: 'allowed' },
    });
    expect(sample?.event.duration).toBeGreaterThan(0);
  });

  it('records UTF-8 in the user agent and referrer as text, and other high bytes as received', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href });
    // What goes on the wire: the UTF-8 bytes (an http client writes a header string as Latin-1).
    const wire = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
    await get(app.addresses.proxyUrl, '/utf8', {
      'user-agent': wire('Mozilla/5.0 日本語 ñ'),
      referer: wire('https://example.com/ü'),
    });
    await get(app.addresses.proxyUrl, '/latin1', { 'user-agent': 'caf\u00e9' }); // 0xE9 alone: not UTF-8
    const records = await allRecords(app);
    expect(records.map((r) => [r.url.path, r.user_agent?.original, r.http.request.referrer])).toEqual([
      ['/utf8', 'Mozilla/5.0 日本語 ñ', 'https://example.com/ü'],
      ['/latin1', 'café', undefined],
    ]);
  });

  it('flushes the log on stop', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href, flushInterval: '1h' });
    for (let i = 0; i < 5; i++) await app.proxy(`/n${i}`);
    const { dataDir } = app;
    const log = app.appliance.parts.requestLog;
    await app.appliance.stop();
    expect(log.stats().written).toBe(5);
    const again = await startTestAppliance({ upstream: upstream.url.href }, dataDir);
    app = again;
    expect((await allRecords(again)).map((r) => r.url.path)).toEqual(['/n0', '/n1', '/n2', '/n3', '/n4']);
  });
});
