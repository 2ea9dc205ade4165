import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestAppliance } from '../helpers/appliance.js';
import { makeTempDir } from './helpers/temp-dir.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

describe('one appliance per data dir', () => {
  it('refuses a second start on the same data dir, naming the first, and leaves the first running', async () => {
    const first = await startTestAppliance({}, dir);
    try {
      await expect(startTestAppliance({}, dir)).rejects.toThrow(
        `the data dir ${dir} is in use by ipwarden (pid ${process.pid}`,
      );
      await first.appliance.parts.accessLists.block({ target: '192.0.2.1', actor: 'test' });
      expect((await first.proxy('/')).status).toBe(200);
      expect(first.appliance.parts.state.data.blocks).toHaveLength(1);
      expect(first.appliance.running).toBe(true);
    } finally {
      const stopping = first.stop();
      // From the moment a stop begins: the desktop tray reads this before it reads the parts.
      expect(first.appliance.running).toBe(false);
      expect(() => first.appliance.parts).toThrow('the appliance is not running');
      await stopping;
    }
    expect(await readdir(dir)).not.toContain('ipwarden.lock');
    const next = await startTestAppliance({}, dir);
    expect(next.appliance.parts.state.data.blocks).toHaveLength(1);
    await next.stop();
  });

  it('writes a peer refresh that came during the stop before it gives the data dir up, and nothing after', async () => {
    const first = await startTestAppliance({}, dir);
    const { detection, requestLog, state } = first.appliance.parts;
    const seen = new Date().toISOString();
    const flag = {
      ip: '198.51.100.30',
      reason: 'high_volume' as const,
      details: {},
      request_count: 101,
      first_seen: seen,
      last_seen: seen,
      is_active: true,
    };
    await detection.flags.raise(
      { ip: flag.ip, reason: flag.reason, count: 101, details: {}, seenAt: Date.now() },
      'test',
    );
    // A peer's refresh lands after detection closed (while the request log flushes): it waits on a timer.
    const close = requestLog.close.bind(requestLog);
    requestLog.close = async () => {
      await detection.flags.applyRemote(
        'refresh',
        { ...flag, request_count: 999 },
        { from: 'peer-1', actor: 'rule:high_volume', action: 'refresh' },
      );
      return close();
    };
    await first.stop();
    const onDisk = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8')) as {
      flags: { request_count: number }[];
    };
    expect(onDisk.flags.map((f) => f.request_count)).toEqual([999]);
    await expect(state.update(() => undefined)).rejects.toThrow('is closed: ipwarden is stopping');
  });

  it('closes what a start opened when it fails before it runs, so a retry in the same process starts clean', async () => {
    await mkdir(path.join(dir, 'admin-token')); // unreadable as a token: the start fails near its end
    const servers = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    const before = servers();
    // No upstream: the demo site is started (a listening server) before the token is read.
    await expect(startTestAppliance({ upstream: undefined }, dir)).rejects.toThrow('EISDIR');
    expect(servers()).toBe(before);
    expect(await readdir(dir)).not.toContain('ipwarden.lock');
    await rm(path.join(dir, 'admin-token'), { recursive: true });
    const next = await startTestAppliance({}, dir);
    await next.stop();
  });

  it('gives the data dir up when its stop fails part-way, so the desktop app can start again', async () => {
    const first = await startTestAppliance({}, dir);
    const { requestLog } = first.appliance.parts;
    requestLog.close = () => Promise.reject(new Error('ENOSPC: no space left on device'));
    await expect(first.appliance.stop()).rejects.toThrow('ENOSPC');
    expect(await readdir(dir)).not.toContain('ipwarden.lock');
    expect(await readdir(dir)).not.toContain('admin.json');
    const next = await startTestAppliance({}, dir);
    await next.stop();
  });

  it('gives the data dir up when its start fails', async () => {
    const first = await startTestAppliance({}, dir);
    const { port } = new URL(first.addresses.proxyUrl);
    await first.stop();
    const other = await makeTempDir();
    const holder = await startTestAppliance({ listen: `127.0.0.1:${port}` }, other.dir);
    try {
      await expect(startTestAppliance({ listen: `127.0.0.1:${port}` }, dir)).rejects.toThrow(
        /EADDRINUSE|in use/,
      );
      expect(await readdir(dir)).not.toContain('ipwarden.lock');
    } finally {
      await holder.stop();
      await other.cleanup();
    }
  });
});

describe('corrupt state files kept aside', () => {
  it('are named in health at every start until deleted, the one this start moved once, with its reason', async () => {
    const earlier = path.join(dir, 'state.json.corrupt-2026-12-01T10-00-00-000Z');
    await writeFile(earlier, '{"version":1,"blocks":[{"tar'); // moved aside by a CLI command
    await writeFile(path.join(dir, 'state.json'), 'not json');
    const app = await startTestAppliance({}, dir);
    try {
      const health = (await (await app.admin('/api/health')).json()) as {
        status: string;
        problems: string[];
      };
      expect(health.status).toBe('degraded');
      expect(health.problems).toHaveLength(2);
      expect(health.problems[0]).toMatch(/^state file .*state\.json was corrupt \(.*\); it was moved to /);
      expect(health.problems[1]).toBe(
        `a corrupt state file is kept aside at ${earlier}: restore what you need from it, then delete it to clear this notice`,
      );
    } finally {
      await app.stop();
    }
  });
});
