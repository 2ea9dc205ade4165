import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FlagStateSync } from '../../server/detection/flag-state-sync.js';
import { FlagStore } from '../../server/detection/flag-store.js';
import { syncFlags } from '../../server/detection/flag-sync.js';
import { createLogger } from '../../server/log.js';
import {
  AccessLists,
  type Cluster,
  type CountersClient,
  createCluster,
  createCounters,
  type Flag,
  ListSync,
  openStateStore,
  type StateStore,
} from '../../server/store/index.js';
import { startTestAppliance } from '../helpers/appliance.js';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/**
 * README "Running several instances", faults on a live connection: Redis refusing writes while it
 * stays up, the pub/sub connection dropping in the middle of a resynchronisation, and a malformed
 * record in the shared lists. Instances are built from their parts on a real redis-server.
 */

let redis: TestRedisServer;
let upstream: TestUpstream;
let admin: Redis;
let suite = 0;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  [redis, upstream] = await Promise.all([startRedisServer(), startUpstream()]);
  admin = new Redis(redis.url);
});
afterEach(async () => {
  await admin.config('SET', 'maxmemory', '0');
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
afterAll(async () => {
  admin?.disconnect();
  await Promise.all([redis?.stop(), upstream?.close()]);
});

interface Instance {
  dir: string;
  state: StateStore;
  lists: AccessLists;
  cluster: Cluster;
  counters: CountersClient;
}

/**
 * An instance's state, lists, cluster link and list sync; `onConnect` runs during each resync. With
 * `dataDir`, it starts on that instance's files (a restart), which its first start removes at the end.
 * `now` is the lists' clock: the time each change is stamped with.
 */
async function instance(
  prefix: string,
  onConnect?: () => Promise<void>,
  dataDir?: string,
  now: () => number = Date.now,
): Promise<Instance> {
  const dir = dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'ipwarden-cluster-faults-')));
  const state = await openStateStore({ dataDir: dir });
  const lists = new AccessLists(state, now);
  const counters = createCounters({ url: redis.url, prefix });
  const logger = createLogger('silent');
  const cluster = createCluster({ counters, prefix, shared: true, failure: 'open', logger });
  new ListSync({ lists, audit: () => state.data.audit, counters, cluster, logger }).start();
  if (onConnect) cluster.onConnect(onConnect);
  cleanups.push(async () => {
    await cluster.close();
    counters.disconnect();
    await state.close(); // a write still in flight would put its temp file back into the directory
    if (dataDir === undefined) await rm(dir, { recursive: true, force: true });
  });
  return { dir, state, lists, cluster, counters };
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const started = performance.now();
  while (!(await condition())) {
    if (performance.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('changes made in the same millisecond', () => {
  it('keeps a block and its unblock in their order, in Redis and on the other instance', async () => {
    const prefix = `faults${++suite}:`;
    const frozen = Date.now(); // a fast disk: both changes stamped with one millisecond
    const a = await instance(prefix, undefined, undefined, () => frozen);
    const b = await instance(prefix);
    await Promise.all([a.cluster.start(5_000), b.cluster.start(5_000)]);
    const target = '203.0.113.60';
    await a.lists.block({ target, actor: 'user:op' });
    await until(async () => (await admin.hkeys(`${prefix}lists:blocklist`)).includes(target), 2_000);
    await until(() => b.lists.decide(target).kind === 'blocked', 2_000);
    await a.lists.unblock(target, 'user:op');
    // A later change, to another target, reaches b after the unblock (one writer, in order).
    await a.lists.block({ target: '203.0.113.61', actor: 'user:op' });
    await until(() => b.lists.decide('203.0.113.61').kind === 'blocked', 2_000);
    expect(JSON.parse((await admin.hget(`${prefix}lists:blocklist`, target)) ?? 'null')).toMatchObject({
      at: frozen,
      entry: null,
    });
    expect(a.lists.decide(target).kind).toBe('none');
    expect(b.lists.decide(target).kind).toBe('none');
    expect(a.state.data.audit.filter((e) => e.target === target).map((e) => e.action)).toEqual([
      'block',
      'unblock',
    ]);
  });
});

describe('an instance on a Redis that misbehaves while connected', () => {
  it('shares a block that Redis refused (out of memory) once Redis takes writes again, without a reconnect', async () => {
    const prefix = `faults${++suite}:`;
    const a = await instance(prefix);
    const b = await instance(prefix);
    await Promise.all([a.cluster.start(5_000), b.cluster.start(5_000)]);
    await admin.config('SET', 'maxmemory', '1'); // noeviction: every write is refused, connections stay up
    await a.lists.block({ target: '203.0.113.5', actor: 'user:op' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(b.lists.decide('203.0.113.5').kind).toBe('none');
    expect(a.cluster.problem()).toBeNull();
    await admin.config('SET', 'maxmemory', '0');
    await until(() => b.lists.decide('203.0.113.5').kind === 'blocked', 5_000);
    expect(await admin.hkeys(`${prefix}lists:blocklist`)).toEqual(['203.0.113.5']);
  });

  it('says so in /api/health while Redis refuses its list changes, and is ok again once they are shared', async () => {
    const prefix = `faults${++suite}:`;
    const app = await startTestAppliance({
      upstream: upstream.url.href,
      redis: redis.url,
      redisPrefix: prefix,
      schedule: false,
    });
    cleanups.push(() => app.stop());
    const health = async () =>
      (await (await app.admin('/api/health')).json()) as { status: string; problems: string[] };
    expect((await health()).status).toBe('ok');
    await admin.config('SET', 'maxmemory', '1');
    await app.appliance.parts.accessLists.block({ target: '203.0.113.6', actor: 'user:op' });
    await until(async () => (await health()).status === 'degraded', 3_000);
    expect((await health()).problems.join()).toMatch(
      /Redis refuses list changes \(OOM.*\): 1 not yet shared/,
    );
    await admin.config('SET', 'maxmemory', '0');
    await until(async () => (await health()).status === 'ok', 5_000);
  });

  it('subscribes again when the pub/sub connection drops during a resynchronisation', async () => {
    const prefix = `faults${++suite}:`;
    const b = await instance(prefix);
    await b.cluster.start(5_000);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let resyncs = 0;
    const a = await instance(prefix, async () => {
      if (++resyncs === 1) await held; // the first resync waits until the subscriber was cut
    });
    const started = a.cluster.start(10_000);
    await until(() => resyncs === 1, 5_000);
    await admin.client('KILL', 'TYPE', 'pubsub'); // both instances' subscribers drop and reconnect
    await new Promise((resolve) => setTimeout(resolve, 500));
    release();
    await started;
    const channel = `${prefix}cluster`;
    await until(async () => (await admin.pubsub('NUMSUB', channel))[1] === 2, 5_000);
    await b.lists.block({ target: '203.0.113.77', actor: 'user:op' });
    await until(() => a.lists.decide('203.0.113.77').kind === 'blocked', 2_000);
  });

  it('keeps an unblock made while Redis was unreachable across a restart: the older block in Redis does not come back', async () => {
    const prefix = `faults${++suite}:`;
    const target = '203.0.113.66';
    const a = await instance(prefix);
    await a.cluster.start(5_000);
    await a.lists.block({ target, actor: 'user:op' });
    await until(async () => (await admin.hkeys(`${prefix}lists:blocklist`)).includes(target), 2_000);
    // Redis out of reach: the unblock is only in the state file (and its audit trail), then a restart.
    await a.cluster.close();
    a.counters.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await a.lists.unblock(target, 'cli');
    const restarted = await instance(prefix, undefined, a.dir);
    await restarted.cluster.start(5_000);
    expect(restarted.lists.decide(target).kind).toBe('none');
    expect(JSON.parse((await admin.hget(`${prefix}lists:blocklist`, target)) ?? 'null')).toMatchObject({
      actor: 'cli',
      entry: null,
    });
    const b = await instance(prefix);
    await b.cluster.start(5_000);
    expect(b.lists.decide(target).kind).toBe('none');
  });

  it('skips a malformed record in the shared lists and applies the others', async () => {
    const prefix = `faults${++suite}:`;
    const at = Date.now();
    const entry = (target: string) => ({
      target,
      reason: '',
      createdAt: new Date(at).toISOString(),
      createdBy: 'user:op',
      expiresAt: null,
    });
    await admin.hset(`${prefix}lists:blocklist`, {
      // An actor the audit trail would refuse (empty), written by a faulty or hostile peer.
      '198.51.100.1': JSON.stringify({ at, actor: '', by: 'x', entry: entry('198.51.100.1') }),
      '198.51.100.2': JSON.stringify({ at, actor: 'user:op', by: 'x', entry: entry('198.51.100.2') }),
    });
    const a = await instance(prefix);
    await a.cluster.start(5_000);
    expect(a.cluster.problem()).toBeNull();
    expect(a.lists.decide('198.51.100.2').kind).toBe('blocked');
    expect(a.lists.decide('198.51.100.1').kind).toBe('none');
  });

  it('shares a flag raised here during an outage though Redis holds an older, ended one for it', async () => {
    const prefix = `faults${++suite}:`;
    const a = await instance(prefix);
    await a.cluster.start(5_000);
    const flags = new FlagStore(a.state, a.lists);
    const ended = new Date(Date.now() - 3 * 3_600_000).toISOString();
    const old = { ip: '198.51.100.9', reason: 'high_volume', details: {}, request_count: 101 };
    await a.counters.hset('flags:state', {
      '198.51.100.9 high_volume': JSON.stringify({
        at: Date.parse(ended),
        by: 'peer',
        actor: 'user:op',
        action: 'dismiss',
        flag: { ...old, first_seen: ended, last_seen: ended, is_active: false },
      }),
    });
    const seenAt = Date.now();
    expect(
      await flags.raise({ ip: old.ip, reason: 'high_volume', count: 150, details: {}, seenAt }, 'live'),
    ).toBe('created');
    await new FlagStateSync(flags, a.cluster, a.counters, createLogger('silent')).reconcile();
    const record = JSON.parse((await a.counters.hget('flags:state', '198.51.100.9 high_volume')) as string);
    expect(record).toMatchObject({ by: a.cluster.instance, flag: { is_active: true, request_count: 150 } });
    expect(flags.active(old.ip, 'high_volume')).toBeDefined();
  });

  it('ignores hash records a hostile writer could plant: a range as the IP, a time far ahead', async () => {
    const prefix = `faults${++suite}:`;
    const a = await instance(prefix);
    await a.cluster.start(5_000);
    const flags = new FlagStore(a.state, a.lists);
    const seenAt = Date.now();
    await flags.raise({ ip: '198.51.100.10', reason: 'admin_access', count: 5, details: {}, seenAt }, 'live');
    const seen = new Date(seenAt).toISOString();
    const planted = (ip: string, reason: string, at: number, active: boolean) =>
      JSON.stringify({
        at,
        by: 'evil',
        actor: 'evil',
        action: active ? 'flag' : 'dismiss',
        flag: {
          ip,
          reason,
          details: {},
          request_count: 9,
          first_seen: seen,
          last_seen: seen,
          is_active: active,
        },
      });
    await a.counters.hset('flags:state', {
      '198.51.100.10 admin_access': planted('198.51.100.10', 'admin_access', 1e300, false),
      '128.0.0.0/1 admin_access': planted('128.0.0.0/1', 'admin_access', seenAt, true),
    });
    const sync = new FlagStateSync(flags, a.cluster, a.counters, createLogger('silent'));
    await sync.reconcile();
    expect(flags.active('198.51.100.10', 'admin_access')).toBeDefined();
    expect(flags.active('128.0.0.0/1', 'admin_access')).toBeUndefined();
    // Forged records do not hold the field (one far ahead, one that is no object): changes replace them.
    await a.counters.hset('flags:state', '198.51.100.11 admin_access', 'null');
    sync.record(
      { ...(flags.active('198.51.100.10', 'admin_access') as Flag), ip: '198.51.100.11' },
      { actor: 'live', action: 'flag' },
    );
    await until(
      async () => (await a.counters.hget('flags:state', '198.51.100.11 admin_access')) !== 'null',
      2_000,
    );
    sync.record(flags.active('198.51.100.10', 'admin_access') as Flag, { actor: 'live', action: 'refresh' });
    await until(async () => {
      const raw = await a.counters.hget('flags:state', '198.51.100.10 admin_access');
      return raw !== null && JSON.parse(raw).by === a.cluster.instance;
    }, 2_000);
  });

  it("does not parse an oversized cluster message (a hostile peer's), and takes the next one", async () => {
    const prefix = `faults${++suite}:`;
    const lines: string[] = [];
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const counters = createCounters({ url: redis.url, prefix });
    const cluster = createCluster({
      counters,
      prefix,
      shared: true,
      failure: 'open',
      logger: createLogger('warn', out),
    });
    cleanups.push(async () => {
      await cluster.close();
      counters.disconnect();
    });
    const seen: unknown[] = [];
    cluster.subscribe('flags', (body) => seen.push(body));
    await cluster.start(5_000);
    const message = (body: unknown) => JSON.stringify({ from: 'peer', topic: 'flags', body });
    await admin.publish(`${prefix}cluster`, message({ blob: 'x'.repeat(100_000) }));
    await admin.publish(`${prefix}cluster`, message({ small: true }));
    await until(() => seen.length === 1, 2_000);
    expect(seen).toEqual([{ small: true }]);
    expect(lines.join('')).toContain('ignored an oversized cluster message');
  });

  it('ignores a flag message whose actor the audit trail would refuse, and applies a valid one', async () => {
    const prefix = `faults${++suite}:`;
    const a = await instance(prefix);
    await a.cluster.start(5_000);
    const lines: string[] = [];
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    syncFlags(new FlagStore(a.state, a.lists), a.cluster, createLogger('warn', out), a.counters);
    const seen = new Date().toISOString();
    const flag = (ip: string) => ({
      ip,
      reason: 'high_volume',
      details: {},
      request_count: 101,
      first_seen: seen,
      last_seen: seen,
      is_active: true,
    });
    const publish = (ip: string, actor: string) =>
      admin.publish(
        `${prefix}cluster`,
        JSON.stringify({
          from: 'peer',
          topic: 'flags',
          body: { kind: 'flag', flag: flag(ip), actor, action: 'flag' },
        }),
      );
    await publish('198.51.100.7', '');
    await publish('198.51.100.8', 'rule:high_volume');
    await until(() => a.state.data.flags.some((f) => f.ip === '198.51.100.8'), 2_000);
    expect(a.state.data.flags.map((f) => f.ip)).toEqual(['198.51.100.8']);
    expect(lines.join('')).toContain('ignored a malformed flag message');
  });
});
