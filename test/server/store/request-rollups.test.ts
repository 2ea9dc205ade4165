import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRequestLog, type RequestLog } from '../../../server/store/index.js';
import { RollupCache } from '../../../server/store/request-rollups.js';
import { summariseRequests } from '../../../server/store/request-stats.js';
import { record } from '../../helpers/records.js';

let dir: string;
let log: RequestLog;
const H = 3_600_000;
const start = Date.parse('2026-04-01T00:00:00Z');

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-rollups-'));
  log = await createRequestLog({ dir, flushIntervalMs: 60_000 });
  // Six hours of traffic over two days' boundary-free hours, mixed actions, countries and paths.
  for (let i = 0; i < 3000; i++) {
    const r = record(`198.51.100.${i % 37}`, start + Math.floor((i * 6 * H) / 3000) + (i % 7) * 1000, {
      path: `/p/${i % 23}`,
      status: i % 11 === 0 ? 404 : 200,
      action: i % 13 === 0 ? 'blocked' : i % 17 === 0 ? 'rate_limited' : 'allowed',
    });
    r.source.geo = { country_iso_code: ['US', 'DE', 'GB'][i % 3] as string };
    log.append(r);
  }
  await log.flush();
});
afterEach(async () => {
  await log.close();
  await rm(dir, { recursive: true, force: true });
});

describe('hourly rollups behind summarise', () => {
  it('give exactly what a full scan gives, for ranges with ragged edges and any bucket', async () => {
    const ranges = [
      { since: new Date(start + 17 * 60_000), until: new Date(start + 5 * H + 3 * 60_000) },
      { since: new Date(start), until: new Date(start + 6 * H) },
      { since: new Date(start + 90 * 60_000), until: new Date(start + 150 * 60_000) },
    ];
    for (const range of ranges) {
      for (const bucketMs of [60_000, H, undefined]) {
        const fast = await log.summarise(range, { top: 50, bucketMs });
        const scan = await summariseRequests(dir, range, { top: 50, bucketMs });
        expect(fast).toEqual(scan);
      }
    }
  });

  it('summarise a range longer than the cache keeps with one scan, building no hour of it', async () => {
    const rollups = new RollupCache(dir, { scannedLines: 0, skippedLines: 0 }, async () => {});
    // Eleven years of hours (a dashboard's custom range back to an imported log).
    const range = { since: new Date(start - 11 * 365 * 24 * H), until: new Date(start + 6 * H) };
    expect(await rollups.summarise(range, { top: 10, bucketMs: 86_400_000 })).toEqual(
      await summariseRequests(dir, range, { top: 10, bucketMs: 86_400_000 }),
    );
    for (const hour of [start, start + 5 * H]) expect(rollups.countsWanted(hour)).toBe(false);
    // Eight days still come from rollups, and are kept.
    await rollups.summarise({ since: new Date(start - 7 * 24 * H), until: new Date(start + 6 * H) });
    expect(rollups.countsWanted(start + 5 * H)).toBe(true);
  });

  it('see records written later into an hour they already summarised', async () => {
    const range = { since: new Date(start), until: new Date(start + 6 * H) };
    const before = await log.summarise(range);
    log.append(record('203.0.113.200', start + 2 * H + 5, { path: '/late' }));
    await log.flush();
    const after = await log.summarise(range);
    expect(after.total).toBe(before.total + 1);
    expect(after.uniqueIps).toBe(before.uniqueIps + 1);
  });

  it('count a record appended before its hour was asked for: the build writes it first', async () => {
    const range = { since: new Date(start), until: new Date(start + 6 * H) };
    // No hour is cached yet, so the writer keeps no counts for this record while it waits.
    log.append(record('203.0.113.201', start + 2 * H + 7, { path: '/pending' }));
    const summary = await log.summarise(range);
    expect(summary.total).toBe(3001);
    expect(summary).toEqual(await summariseRequests(dir, range, {}));
  });

  it('drop a cached hour that a record was written to without its counts, and build it again', async () => {
    // A log whose flush writes nothing, as when the disk fails: the record below misses the build.
    const rollups = new RollupCache(dir, { scannedLines: 0, skippedLines: 0 }, async () => {});
    const range = { since: new Date(start), until: new Date(start + 6 * H) };
    expect((await rollups.summarise(range)).total).toBe(3000);
    log.append(record('203.0.113.202', start + 3 * H + 11, { path: '/late' }));
    await log.flush();
    rollups.written([start + 3 * H], []); // what the writer tells: a line of that hour, without counts
    const after = await rollups.summarise(range);
    expect(after.total).toBe(3001);
    expect(after).toEqual(await summariseRequests(dir, range, {}));
  });

  it('do not keep an hour that a write began in while it was being scanned', async () => {
    const hour = start + 3 * H;
    // The writer tells `writing` when a write begins; here one begins while the scan reads.
    const rollups: RollupCache = new RollupCache(dir, { scannedLines: 0, skippedLines: 0 }, async () => {
      setImmediate(() => rollups.writing([hour]));
    });
    const range = { since: new Date(start), until: new Date(start + 6 * H) };
    expect((await rollups.summarise(range)).total).toBe(3000);
    expect(rollups.countsWanted(hour)).toBe(false); // built again when next needed
    expect(rollups.countsWanted(hour - H)).toBe(true);
  });

  it('answer a range ending now from the current hour, and one ending earlier in it by scanning', async () => {
    const now = Date.now();
    const hour = Math.floor(now / H) * H;
    for (let i = 0; i < 20; i++)
      log.append(record(`203.0.113.${i}`, hour + ((now - hour) * i) / 20, { path: '/now' }));
    await log.flush();
    const toNow = { since: new Date(hour - H), until: new Date(now + 1) };
    expect(await log.summarise(toNow)).toEqual(await summariseRequests(dir, toNow, {}));
    const earlier = { since: new Date(hour - H), until: new Date(hour + (now - hour) / 2) };
    const partial = await log.summarise(earlier);
    expect(partial).toEqual(await summariseRequests(dir, earlier, {}));
    expect(partial.total).toBeLessThan(20);
  });

  it('reject a bad top or bucket like a scan does', async () => {
    const range = { since: new Date(start), until: new Date(start + 6 * H) };
    await expect(log.summarise(range, { top: 0 })).rejects.toThrow('top');
    await expect(log.summarise(range, { bucketMs: 5 })).rejects.toThrow('bucket');
  });
});
