import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Flag } from '../../server/store/index.js';
import { startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/**
 * README "Running several instances": ipwarden instances sharing one real Redis (Debian's
 * redis-server, started here on a free port) act as one for rate limits, blocks, flags and jobs.
 */

let redis: TestRedisServer;
let upstream: TestUpstream;
let suite = 0;

beforeAll(async () => {
  [redis, upstream] = await Promise.all([startRedisServer(), startUpstream()]);
});
afterAll(async () => {
  await Promise.all([redis?.stop(), upstream?.close()]);
});

/** Starts an instance; instances given the same prefix share limits, lists, flags and locks. */
function instance(redisUrl: string | undefined, prefix: string, extra: Record<string, unknown> = {}) {
  return startTestAppliance({
    upstream: upstream.url.href,
    ...(redisUrl ? { redis: redisUrl } : {}),
    redisPrefix: prefix,
    trustProxy: 'loopback',
    schedule: false,
    ...extra,
  });
}

function send(app: TestAppliance, ip: string, path = '/', method = 'GET'): Promise<number> {
  return app
    .proxy(path, {
      method,
      headers: { 'x-forwarded-for': ip },
      ...(method === 'POST' ? { body: 'u=x&p=y' } : {}),
    })
    .then(async (res) => {
      await res.arrayBuffer();
      return res.status;
    });
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!(await condition())) {
    if (performance.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return performance.now() - started;
}

const activeFlags = (app: TestAppliance, ip: string, reason: string): Flag[] =>
  app.appliance.parts.state.data.flags.filter((f) => f.is_active && f.ip === ip && f.reason === reason);

describe('two instances on one Redis', () => {
  let a: TestAppliance;
  let b: TestAppliance;
  beforeEach(async () => {
    const prefix = `cluster${++suite}:`;
    a = await instance(redis.url, prefix);
    b = await instance(redis.url, prefix);
  });
  afterEach(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('count a rate limit together: 5 anonymous login POSTs alternating between them pass, the 6th on either gets 429', async () => {
    const ip = '198.51.100.10';
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push(await send(i % 2 === 0 ? a : b, ip, '/login', 'POST'));
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expect(await send(a, ip, '/login', 'POST')).toBe(429);
    expect(await send(b, ip, '/login', 'POST')).toBe(429);
    expect(await send(b, '198.51.100.11', '/login', 'POST')).toBe(401); // another client has its own budget
  });

  it("enforce a block made through A's admin API on B's next request within 200 ms, and its removal too", async () => {
    const ip = '203.0.113.20';
    expect(await send(b, ip)).toBe(200);
    const blocked = await a.admin('/api/blocks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target: ip, reason: 'scanner', duration: '1d' }),
    });
    expect(blocked.status).toBe(201);
    const propagation = await until(async () => (await send(b, ip)) === 403, 1_000);
    expect(propagation).toBeLessThan(200);
    // B keeps its own copy (enforced while Redis is unreachable), with the audit line naming the origin.
    expect(b.appliance.parts.state.data.blocks).toEqual([
      expect.objectContaining({ target: ip, reason: 'scanner' }),
    ]);
    expect(b.appliance.parts.state.data.audit.at(-1)).toMatchObject({
      action: 'block',
      target: ip,
      details: { instance: a.appliance.parts.cluster.instance },
    });

    expect((await a.admin(`/api/blocks/${ip}`, { method: 'DELETE' })).status).toBe(200);
    expect(await until(async () => (await send(b, ip)) === 200, 1_000)).toBeLessThan(200);

    // The allowlist too: an address allowed on B is never rate-limited on A.
    const allowed = await b.admin('/api/allowlist', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target: '198.51.100.0/24' }),
    });
    expect(allowed.status).toBe(201);
    await until(() => a.appliance.parts.accessLists.isAllowlisted('198.51.100.12'), 200);
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push(await send(a, '198.51.100.12', '/login', 'POST'));
    expect(statuses.every((s) => s === 401)).toBe(true);
  });

  it('ignore a list message older than a change made since (it would undo the newer change on one instance)', async () => {
    const target = '203.0.113.30';
    const madeAt = Date.now();
    await b.appliance.parts.accessLists.block({ target, reason: 'newer', actor: 'test' });
    // B has written its block to Redis; A's older unblock arrives only now (pub/sub is no queue).
    await until(
      async () => (await b.appliance.parts.counters.hget('lists:blocklist', target)) !== null,
      1_000,
    );
    const { cluster, counters } = a.appliance.parts;
    const stale = {
      list: 'blocklist',
      target,
      record: { at: madeAt - 1_000, actor: 'op', by: cluster.instance, entry: null },
    };
    await counters.publish(cluster.channel, cluster.message('lists', stale));
    await new Promise((r) => setTimeout(r, 150));
    expect(b.appliance.parts.accessLists.decide(target).kind).toBe('blocked');
  });

  it('ignore an older list message that arrives while a newer change here is still being written', async () => {
    const target = '203.0.113.31';
    await a.appliance.parts.accessLists.block({ target, reason: 'first', actor: 'test' });
    await until(() => b.appliance.parts.accessLists.decide(target).kind === 'blocked', 1_000);
    // B's state commits are slow (a large state file); they stay one after the other.
    const { state } = b.appliance.parts;
    const update = state.update.bind(state);
    let chain: Promise<unknown> = Promise.resolve();
    let slow = true;
    state.update = ((change: Parameters<typeof update>[0]) => {
      const next = chain.then(async () => {
        if (slow) {
          slow = false;
          await new Promise((r) => setTimeout(r, 300));
        }
        return update(change);
      });
      chain = next.catch(() => undefined);
      return next;
    }) as typeof state.update;
    // An operator on B blocks it again (newer); A's unblock, made just before, is delivered meanwhile.
    const unblockAt = Date.now() - 5;
    const blocking = b.appliance.parts.accessLists.block({ target, reason: 'newer, on B', actor: 'test' });
    await new Promise((r) => setTimeout(r, 20));
    const { cluster, counters } = a.appliance.parts;
    const stale = {
      list: 'blocklist',
      target,
      record: { at: unblockAt, actor: 'op', by: cluster.instance, entry: null },
    };
    await counters.publish(cluster.channel, cluster.message('lists', stale));
    await blocking;
    await new Promise((r) => setTimeout(r, 500));
    expect(b.appliance.parts.accessLists.decide(target).kind).toBe('blocked');
    expect(b.appliance.parts.accessLists.entry('blocklist', target)?.reason).toBe('newer, on B');
  });

  it('agree after a quick block and unblock of many targets on one of them', async () => {
    const lists = a.appliance.parts.accessLists;
    const targets = Array.from({ length: 40 }, (_, i) => `198.18.7.${i + 1}`);
    for (const target of targets) {
      await lists.block({ target, reason: 'brief', actor: 'test' });
      await lists.unblock(target, 'test');
    }
    // A change still waiting for its Redis write is replaced by the next one to its target (ListSync),
    // so a block and its unblock may reach B as the unblock alone, which changes nothing there: B's
    // audit trail need not hold 40 unblocks. A block made last reaches B after all of them (A writes
    // its changes in order, Redis publishes them in that order, B applies them one after the other).
    const marker = '198.18.7.200';
    await lists.block({ target: marker, reason: 'marker', actor: 'test' });
    await until(() => b.appliance.parts.accessLists.decide(marker).kind === 'blocked', 3_000);
    const stillBlocked = targets.filter((t) => b.appliance.parts.accessLists.decide(t).kind === 'blocked');
    expect(stillBlocked).toEqual([]);
  });

  it('bring an instance that was stopped up to date with the flags raised and dismissed meanwhile', async () => {
    const seenAt = Date.now();
    const evidence = (ip: string) => ({
      ip,
      reason: 'admin_access' as const,
      count: 5,
      details: { count: 5 },
      seenAt,
    });
    await a.appliance.parts.detection.flags.raise(evidence('203.0.113.40'), 'test');
    await until(() => activeFlags(b, '203.0.113.40', 'admin_access').length === 1, 1_000);
    const dataDir = b.dataDir;
    await b.appliance.stop();
    // While B is down: a new flag on A, and the first one dismissed.
    await a.appliance.parts.detection.flags.raise(evidence('203.0.113.41'), 'test');
    await a.appliance.parts.detection.flags.dismiss('203.0.113.40', 'user:op');
    b = await startTestAppliance(
      {
        upstream: upstream.url.href,
        redis: redis.url,
        redisPrefix: a.appliance.parts.config.redisPrefix,
        trustProxy: 'loopback',
      },
      dataDir,
    );
    await until(() => activeFlags(b, '203.0.113.41', 'admin_access').length === 1, 2_000);
    expect(activeFlags(b, '203.0.113.40', 'admin_access')).toEqual([]);
    // The dismissal is remembered as one: the dismissed traffic raises nothing again on B.
    expect(await b.appliance.parts.detection.flags.raise(evidence('203.0.113.40'), 'test')).toBe('dismissed');
  });

  it('load the current lists when one starts later', async () => {
    await a.appliance.parts.accessLists.block({ target: '203.0.113.0/28', reason: 'range', actor: 'test' });
    const prefix = a.appliance.parts.config.redisPrefix;
    const late = await instance(redis.url, prefix);
    try {
      expect(await send(late, '203.0.113.5')).toBe(403);
    } finally {
      await late.stop();
    }
  });

  it('flag an attack split across both instances once', async () => {
    const ip = '192.0.2.50';
    const hits = await Promise.all(
      Array.from({ length: 12 }, (_, i) => send(i % 2 === 0 ? a : b, ip, '/.env')),
    );
    expect(hits.every((s) => s === 200)).toBe(true);
    // The worst case: both instances count their 6 hits in the same instant, so each sees the
    // window (6 or 12) over the threshold (> 5) before the other's flag can reach it.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await Promise.all([a, b].map((app) => app.appliance.parts.detection.live.flush()));
    await until(() => activeFlags(a, ip, 'sensitive_paths').length > 0, 3_000);
    await until(() => activeFlags(b, ip, 'sensitive_paths').length > 0, 3_000);
    // Give a duplicate every chance to appear: more hits on both, more batches.
    for (let i = 0; i < 4; i++) await send(i % 2 === 0 ? a : b, ip, '/.env');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(activeFlags(a, ip, 'sensitive_paths')).toHaveLength(1);
    expect(activeFlags(b, ip, 'sensitive_paths')).toHaveLength(1);
    // Exactly one instance created it (its audit line has no origin); the other received it.
    const created = [a, b].flatMap((app) =>
      app.appliance.parts.state.data.audit.filter(
        (e) =>
          e.action === 'flag' && e.target === ip && e.reason === 'sensitive_paths' && !e.details?.instance,
      ),
    );
    expect(created).toHaveLength(1);
    expect(activeFlags(a, ip, 'sensitive_paths')[0]?.request_count).toBeGreaterThan(5);

    // Dismissed on one, ended on both.
    expect((await b.admin(`/api/flags/${ip}/dismiss`, { method: 'POST' })).status).toBe(200);
    await until(() => activeFlags(a, ip, 'sensitive_paths').length === 0, 1_000);
  });

  it('run a scheduled job on exactly one instance; retention, which is per instance, on both', async () => {
    const slot = new Date(Date.UTC(2026, 2, 2, 10, 1));
    const monitor = await Promise.all(
      [a, b].map((app) => app.appliance.parts.detection.jobs.runScheduled('monitor', slot)),
    );
    expect(monitor.filter((run) => run !== null)).toEqual([
      expect.objectContaining({ name: 'monitor', outcome: 'ok' }),
    ]);
    const recorded = [a, b].map((app) =>
      app.appliance.parts.detection.jobs.runs().filter((r) => r.name === 'monitor'),
    );
    expect(recorded.flat()).toHaveLength(1);
    // The next hour's run is a new slot: one instance runs it again.
    const next = new Date(slot.getTime() + 3_600_000);
    const again = await Promise.all(
      [a, b].map((app) => app.appliance.parts.detection.jobs.runScheduled('monitor', next)),
    );
    expect(again.filter((run) => run !== null)).toHaveLength(1);

    const retention = await Promise.all(
      [a, b].map((app) => app.appliance.parts.detection.jobs.runScheduled('retention', slot)),
    );
    expect(retention.every((run) => run?.outcome === 'ok')).toBe(true);
  });
});

describe('Redis restarting in the middle of traffic', () => {
  let a: TestAppliance;
  let b: TestAppliance;
  afterEach(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis.start().catch(() => undefined); // running again for any later test
  });

  it('loses no block, keeps serving with each failure policy, and resynchronises', async () => {
    const prefix = `restart${++suite}:`;
    a = await instance(redis.url, prefix);
    b = await instance(redis.url, prefix, { redisFailure: 'closed' });
    const blocked = '203.0.113.30';
    await a.appliance.parts.accessLists.block({ target: blocked, reason: 'before', actor: 'test' });
    await until(() => b.appliance.parts.accessLists.decide(blocked).kind === 'blocked', 1_000);

    let stopTraffic = false;
    let rounds = 0;
    const traffic = (async () => {
      const seen: number[] = [];
      while (!stopTraffic) {
        seen.push(await send(a, blocked), await send(b, blocked));
        rounds++;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return seen;
    })();
    // The traffic must span each phase, however quickly Redis goes away and comes back.
    const moreRounds = (n: number) => {
      const target = rounds + n;
      return until(() => rounds >= target, 5_000);
    };

    await redis.stop();
    await until(async () => {
      const health = (await (await b.admin('/api/health')).json()) as { status: string };
      return health.status === 'degraded';
    }, 3_000);
    await moreRounds(3); // served from the local copy while Redis is down
    const health = (await (await a.admin('/api/health')).json()) as { problems: string[] };
    expect(health.problems.join()).toMatch(/Redis unreachable/);
    // Blocks from the local copy; rate limits fail open on A, closed (503) on B.
    expect(await send(a, blocked)).toBe(403);
    expect(await send(b, blocked)).toBe(403);
    expect(await send(a, '198.51.100.40', '/login', 'POST')).toBe(401);
    expect(await send(b, '198.51.100.40', '/login', 'POST')).toBe(503);
    expect(await send(b, '198.51.100.40', '/')).toBe(200); // paths without a rate limit are served
    // A block made during the outage is enforced locally at once and shared on reconnect.
    const during = '203.0.113.31';
    await a.appliance.parts.accessLists.block({ target: during, reason: 'during', actor: 'test' });
    expect(await send(a, during)).toBe(403);

    await redis.start(); // empty: it saved nothing
    for (const app of [a, b]) {
      await until(async () => {
        const body = (await (await app.admin('/api/health')).json()) as { status: string };
        return body.status === 'ok';
      }, 8_000);
    }
    await moreRounds(3); // and after it is back
    stopTraffic = true;
    const statuses = await traffic;
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.every((s) => s === 403)).toBe(true);
    await until(() => b.appliance.parts.accessLists.decide(during).kind === 'blocked', 1_000);
    expect(await send(b, during)).toBe(403);
    expect(await send(a, blocked)).toBe(403);
    // Redis holds the whole set again, so an instance starting now loads it.
    const late = await instance(redis.url, prefix);
    try {
      expect(await send(late, blocked)).toBe(403);
      expect(await send(late, during)).toBe(403);
    } finally {
      await late.stop();
    }
  });
});

const backends: [string, () => string | undefined][] = [
  ['ioredis-mock', () => undefined],
  ['redis-server', () => redis.url],
];

describe.each(backends)('rate limit and block on %s', (_backend, url) => {
  let app: TestAppliance;
  beforeEach(async () => {
    app = await instance(url(), `single${++suite}:`);
  });
  afterEach(async () => {
    await app?.stop();
  });

  it('answers the 6th anonymous login POST in a minute with 429', async () => {
    const ip = '198.51.100.60';
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push(await send(app, ip, '/login', 'POST'));
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(await send(app, '198.51.100.61', '/login', 'POST')).toBe(401);
  });

  it('answers 403 to a blocked client from the next request, and 200 after the unblock', async () => {
    const ip = '203.0.113.60';
    expect(await send(app, ip)).toBe(200);
    const res = await app.admin('/api/blocks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target: ip }),
    });
    expect(res.status).toBe(201);
    expect(await send(app, ip)).toBe(403);
    expect((await app.admin(`/api/blocks/${ip}`, { method: 'DELETE' })).status).toBe(200);
    expect(await send(app, ip)).toBe(200);
  });
});
