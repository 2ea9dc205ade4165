import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRecords, startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

const BLOCKED = '203.0.113.9';

async function eventually(check: () => boolean | Promise<boolean>, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('disk faults', () => {
  let upstream: TestUpstream;
  let app: TestAppliance;
  const as = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });

  beforeAll(async () => {
    upstream = await startUpstream();
    app = await startTestAppliance({ upstream: upstream.url.href, trustProxy: 'loopback' });
    const res = await app.admin('/api/blocks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target: BLOCKED, reason: 'test' }),
    });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await app?.stop();
    await upstream?.close();
  });

  it('keeps serving and blocking while the request log cannot be written, reports it, and writes the backlog once the disk is back', async () => {
    const requestsDir = path.join(app.dataDir, 'requests');
    await rm(requestsDir, { recursive: true, force: true });
    await writeFile(requestsDir, 'not a directory'); // every segment open now fails with ENOTDIR
    const log = app.appliance.parts.requestLog;
    const before = log.stats().written;

    for (let i = 0; i < 50; i++) {
      const res = await app.proxy(`/disk-fault/${i}`, as('198.51.100.1'));
      expect(res.status).toBe(200);
      await res.text();
    }
    const blocked = await app.proxy('/disk-fault/blocked', as(BLOCKED));
    expect(blocked.status).toBe(403);
    await log.flush();
    expect(log.stats().written).toBe(before);
    expect(log.stats().pendingRecords).toBe(51);
    expect(log.stats().writeErrors).toBeGreaterThan(0);

    const health = (await (await app.admin('/api/health')).json()) as { status: string; problems: string[] };
    expect(health.status).toBe('degraded');
    expect(health.problems.join('\n')).toMatch(/request log writes are failing/);
    expect(health.problems.join('\n')).toContain(requestsDir);

    await rm(requestsDir);
    await mkdir(requestsDir);
    await eventually(() => log.stats().pendingRecords === 0);
    expect(log.stats()).toMatchObject({ written: before + 51, failed: 0 });
    const paths = (await allRecords(app)).map((r) => r.url.path).filter((p) => p.startsWith('/disk-fault/'));
    expect(paths).toEqual([
      ...Array.from({ length: 50 }, (_, i) => `/disk-fault/${i}`),
      '/disk-fault/blocked',
    ]);
  });

  it('refuses a block the state file cannot hold, and memory does not claim it', async () => {
    const stateFile = path.join(app.dataDir, 'state.json');
    await rm(stateFile);
    await mkdir(stateFile); // the atomic rename onto state.json now fails (EISDIR)
    try {
      const res = await app.admin('/api/blocks', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ target: '192.0.2.0/24', reason: 'cannot be saved' }),
      });
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(((await res.json()) as { error: { status: number } }).error.status).toBe(res.status);
      const blocks = (await (await app.admin('/api/blocks')).json()) as { target: string }[];
      expect(JSON.stringify(blocks)).not.toContain('192.0.2.0/24');
      expect((await app.proxy('/not-blocked', as('192.0.2.7'))).status).toBe(200);
      expect((await app.proxy('/still-blocked', as(BLOCKED))).status).toBe(403);
    } finally {
      await rm(stateFile, { recursive: true });
    }
    const retry = await app.admin('/api/blocks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target: '192.0.2.0/24', reason: 'saved' }),
    });
    expect(retry.status).toBe(201);
    expect((await app.proxy('/now-blocked', as('192.0.2.7'))).status).toBe(403);
    expect((await readdir(app.dataDir)).filter((f) => f.startsWith('state.json'))).toEqual(['state.json']);
  });
});

describe('a stop while the request log cannot be written', () => {
  let upstream: TestUpstream;
  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterAll(async () => {
    await upstream?.close();
  });

  async function startWithBrokenLog(): Promise<{ app: TestAppliance; requestsDir: string }> {
    const app = await startTestAppliance({ upstream: upstream.url.href });
    const requestsDir = path.join(app.dataDir, 'requests');
    await rm(requestsDir, { recursive: true, force: true });
    await writeFile(requestsDir, 'not a directory'); // every segment open fails (ENOTDIR), as on a full disk
    for (let i = 0; i < 5; i++) await (await app.proxy(`/held/${i}`)).text();
    return { app, requestsDir };
  }

  it('fails, naming the records lost, instead of saying the log was flushed', async () => {
    const { app } = await startWithBrokenLog();
    await expect(app.appliance.stop()).rejects.toThrow(
      /^5 request-log records could not be written to .* and are lost$/,
    );
    expect(await readdir(app.dataDir)).not.toContain('ipwarden.lock');
    await rm(app.dataDir, { recursive: true, force: true });
  });

  it('writes them after all when the disk comes back within the retries', async () => {
    const { app, requestsDir } = await startWithBrokenLog();
    const stopping = app.appliance.stop();
    await new Promise((r) => setTimeout(r, 700));
    await rm(requestsDir);
    await mkdir(requestsDir);
    await stopping;
    const next = await startTestAppliance({}, app.dataDir);
    try {
      const paths = (await allRecords(next)).map((r) => r.url.path).filter((p) => p.startsWith('/held/'));
      expect(paths).toHaveLength(5);
    } finally {
      await next.stop();
      await rm(app.dataDir, { recursive: true, force: true });
    }
  });
});
