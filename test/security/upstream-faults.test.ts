import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRecords, startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { freePort } from '../helpers/free-port.js';

/**
 * Long enough that a reset mid-body (about 50 ms here) is told from the timeout on a busy CI
 * machine: with 300 ms this file failed once while the whole suite ran in parallel.
 */
const UPSTREAM_TIMEOUT_MS = 1_000;

/** A raw TCP upstream on a fixed port that misbehaves with every connection, tracking its sockets. */
async function startFaultyUpstream(port: number, onConnection: (socket: net.Socket) => void) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    open: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Waits until `check` holds, polling every 20 ms, for at most `ms`. */
async function eventually(check: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('upstream faults', () => {
  let port: number;
  let app: TestAppliance;

  beforeAll(async () => {
    port = await freePort();
    app = await startTestAppliance({
      upstream: `http://127.0.0.1:${port}`,
      upstreamTimeout: UPSTREAM_TIMEOUT_MS,
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const recordsFor = async (path: string) => (await allRecords(app)).filter((r) => r.url.path === path);

  it('answers 502 when the upstream refuses connections, and logs it', async () => {
    const res = await app.proxy('/down');
    expect(res.status).toBe(502);
    expect(await res.text()).toMatch(/502|Bad Gateway/i);
    const records = await recordsFor('/down');
    expect(records.map((r) => r.http.response.status_code)).toEqual([502]);
    expect(app.appliance.parts.proxy.upstreamSockets()).toEqual({ active: 0, idle: 0 });
  });

  it('answers 504 after the upstream timeout when the upstream accepts but never answers', async () => {
    // Reads the request (so it sees the proxy hang up) and never answers.
    const silent = await startFaultyUpstream(port, (socket) => socket.resume());
    try {
      const t0 = Date.now();
      const res = await app.proxy('/silent');
      const took = Date.now() - t0;
      expect(res.status).toBe(504);
      expect(took).toBeGreaterThanOrEqual(UPSTREAM_TIMEOUT_MS - 20);
      expect(took).toBeLessThan(UPSTREAM_TIMEOUT_MS + 1_000);
      expect((await recordsFor('/silent')).map((r) => r.http.response.status_code)).toEqual([504]);
      // The timed-out upstream socket is destroyed, not returned to the pool.
      await eventually(() => silent.open() === 0);
      expect(app.appliance.parts.proxy.upstreamSockets()).toEqual({ active: 0, idle: 0 });
    } finally {
      await silent.close();
    }
  });

  it('cuts the client connection (no hang) when the upstream resets mid-body, and logs it once', async () => {
    const resetting = await startFaultyUpstream(port, (socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100000\r\n\r\n');
        socket.write('x'.repeat(1_000), () => setTimeout(() => socket.destroy(), 50));
      });
    });
    try {
      const t0 = Date.now();
      const outcome = await new Promise<{ status: number; bytes: number; error: string }>((resolve) => {
        const req = http.get(new URL('/reset', app.addresses.proxyUrl), (res) => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, error: '' }));
          res.on('error', (err) => resolve({ status: res.statusCode ?? 0, bytes, error: err.message }));
        });
        req.on('error', (err) => resolve({ status: 0, bytes: 0, error: err.message }));
      });
      expect(Date.now() - t0).toBeLessThan(UPSTREAM_TIMEOUT_MS);
      expect(outcome.status).toBe(200);
      expect(outcome.bytes).toBe(1_000);
      expect(outcome.error).toMatch(/aborted|ECONNRESET|socket hang up/);
      await eventually(() => app.appliance.parts.requestLog.stats().appended >= 3);
      expect(await recordsFor('/reset')).toHaveLength(1);
      await eventually(() => resetting.open() === 0);
      expect(app.appliance.parts.proxy.upstreamSockets()).toEqual({ active: 0, idle: 0 });
    } finally {
      await resetting.close();
    }
  });

  it('recovers on the next request once the upstream is back, without leaking sockets', async () => {
    expect((await app.proxy('/still-down')).status).toBe(502);
    const sockets = new Set<net.Socket>();
    const server = http.createServer((_req, res) => res.end('back'));
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const back = Date.now();
    let recoveredAfter = -1;
    let attempts = 0;
    while (recoveredAfter < 0) {
      attempts++;
      const res = await app.proxy('/recovered');
      if (res.status === 200 && (await res.text()) === 'back') recoveredAfter = Date.now() - back;
    }
    console.log('upstream recovery figures', JSON.stringify({ recoveredAfterMs: recoveredAfter, attempts }));
    expect(attempts).toBe(1);

    const results = await Promise.all(Array.from({ length: 20 }, () => app.proxy('/after')));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    await Promise.all(results.map((r) => r.text()));
    const pool = app.appliance.parts.proxy.upstreamSockets();
    expect(pool.active).toBe(0);
    expect(pool.idle).toBe(sockets.size);
    expect(pool.idle).toBeLessThanOrEqual(20);

    await app.stop();
    await eventually(() => sockets.size === 0);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
