import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRecords, startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/** Slow connections held open at once; with both ends in this process that is 2,000 descriptors (`ulimit -n` is checked below). */
const SLOW_CONNECTIONS = 1_000;
const HEADERS_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 5_000;
const IDLE_TIMEOUT_MS = 1_000;
/** One byte per slow socket every DRIP_MS: a slowloris client that is never quite silent. */
const DRIP_MS = 300;

interface SlowSocket {
  socket: net.Socket;
  opened: number;
  closedAt: Promise<number>;
  received: () => string;
}

/** Opens a socket that sends `prefix` and then one byte of `drip` every {@link DRIP_MS}, forever. */
function openSlowSocket(url: URL, prefix: string, drip: string): Promise<SlowSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    let received = '';
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    const closedAt = new Promise<number>((done) =>
      socket.once('close', () => {
        clearInterval(timer);
        done(Date.now());
      }),
    );
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    socket.on('error', () => socket.destroy());
    socket.once('connect', () => {
      socket.write(prefix);
      timer = setInterval(() => {
        if (socket.writable) socket.write(drip[i++ % drip.length] as string);
      }, DRIP_MS);
      resolve({ socket, opened: Date.now(), closedAt, received: () => received });
    });
    socket.once('error', reject);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] as number;
}

describe('slow clients (slowloris)', () => {
  let upstream: TestUpstream;
  let app: TestAppliance;
  const slow: SlowSocket[] = [];

  beforeAll(async () => {
    upstream = await startUpstream();
    app = await startTestAppliance({
      upstream: upstream.url.href,
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      idleTimeout: IDLE_TIMEOUT_MS,
    });
  });

  afterAll(async () => {
    for (const s of slow) s.socket.destroy();
    await app?.stop();
    await upstream?.close();
  });

  it(`holds ${SLOW_CONNECTIONS} slow-header connections while normal clients are served, then cuts them at the headers timeout`, async () => {
    const url = new URL(app.addresses.proxyUrl);
    const started = Date.now();
    for (let i = 0; i < SLOW_CONNECTIONS; i += 100) {
      const batch = Array.from({ length: 100 }, () =>
        openSlowSocket(url, 'GET / HTTP/1.1\r\nHost: x\r\n', 'X-Slow: abcdefghij\r\n'),
      );
      slow.push(...(await Promise.all(batch)));
    }
    const allOpen = Date.now();

    // Normal clients while every slow socket is held: sequential, so each latency is its own.
    const latencies: number[] = [];
    let heldWhileServing = SLOW_CONNECTIONS;
    while (Date.now() - started < HEADERS_TIMEOUT_MS - 1_000) {
      const t0 = performance.now();
      const res = await app.proxy(`/normal/${latencies.length}`, { headers: { connection: 'close' } });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('ok');
      latencies.push(performance.now() - t0);
      heldWhileServing = Math.min(heldWhileServing, slow.filter((s) => !s.socket.destroyed).length);
    }
    expect(heldWhileServing).toBe(SLOW_CONNECTIONS);

    const closedAt = await Promise.all(slow.map((s) => s.closedAt));
    const lastCut = Math.max(...closedAt);
    const cutAfter = closedAt.map((t, i) => t - (slow[i] as SlowSocket).opened).sort((a, b) => a - b);
    // Node sweeps deadlines every min(1 s, headers/4): a slow socket lives at most one sweep longer.
    expect(cutAfter[0]).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
    expect(percentile(cutAfter, 100)).toBeLessThan(HEADERS_TIMEOUT_MS + 1_500);
    expect(slow.every((s) => s.received().startsWith('HTTP/1.1 408'))).toBe(true);

    latencies.sort((a, b) => a - b);
    const figures = {
      slowConnections: SLOW_CONNECTIONS,
      openedInMs: allOpen - started,
      heldWhileServing,
      normalRequests: latencies.length,
      p50Ms: Number(percentile(latencies, 50).toFixed(1)),
      p99Ms: Number(percentile(latencies, 99).toFixed(1)),
      maxMs: Number(percentile(latencies, 100).toFixed(1)),
      cutAfterMinMs: cutAfter[0],
      cutAfterMaxMs: percentile(cutAfter, 100),
      allCutInMs: lastCut - started,
    };
    console.log('slowloris figures', JSON.stringify(figures));
    expect(latencies.length).toBeGreaterThan(10);
    expect(figures.maxMs).toBeLessThan(1_000);

    // The slow sockets never became requests: only the normal ones are in the log.
    const records = await allRecords(app);
    expect(records.filter((r) => r.url.path.startsWith('/normal/'))).toHaveLength(latencies.length);
    expect(records).toHaveLength(latencies.length);
  });

  it('cuts a slow request body at the request timeout and logs the exchange once', async () => {
    const url = new URL(app.addresses.proxyUrl);
    const bodies = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        openSlowSocket(
          url,
          `POST /slow-body/${i} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n`,
          'a',
        ),
      ),
    );
    slow.push(...bodies);
    const res = await app.proxy('/during-slow-bodies');
    expect(res.status).toBe(200);
    const cutAfter = (await Promise.all(bodies.map((s) => s.closedAt))).map(
      (t, i) => t - (bodies[i] as SlowSocket).opened,
    );
    expect(Math.min(...cutAfter)).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    expect(Math.max(...cutAfter)).toBeLessThan(REQUEST_TIMEOUT_MS + 1_500);
    const records = (await allRecords(app)).filter((r) => r.url.path.startsWith('/slow-body/'));
    expect(records).toHaveLength(50);
    expect(new Set(records.map((r) => r.url.path)).size).toBe(50);
  });

  it('closes an idle keep-alive connection after the idle timeout', async () => {
    const url = new URL(app.addresses.proxyUrl);
    const socket = net.connect(Number(url.port), url.hostname);
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now())));
    await new Promise<void>((done) => socket.once('connect', () => done()));
    socket.write('GET /keep HTTP/1.1\r\nHost: x\r\n\r\n');
    const sent = Date.now();
    const idleFor = (await closed) - sent;
    expect(received.startsWith('HTTP/1.1 200')).toBe(true);
    expect(idleFor).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 100);
    expect(idleFor).toBeLessThan(IDLE_TIMEOUT_MS + 1_500);
  });
});
