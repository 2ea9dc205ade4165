/**
 * State commits as the state grows (issue 8: keep cost flat as data grows). For each blocklist size
 * N (argv[2], comma-separated; default 1k,100k,1M) it writes a state file with N blocks, N/5 audit
 * entries and 1,000 active flags, opens it, and times three commits through the real services:
 * `AccessLists.block` of one more IP, `FlagStore.raise` of a new flag, and `writeRefreshes` of 170
 * refreshed flags. The figure is the time the commit held the event loop (its
 * `eventLoopUtilization` active time: the copy, checks and serialising, not the file I/O that runs
 * off the loop), the median of ROUNDS (15). It also times what the operator UI reads of such a
 * blocklist: the newest page of 200 (`GET /api/blocks?limit=200`), a search through it that
 * matches one block, and the count of blocks in force (`GET /api/stats`) as it costs after a change
 * to the list (the count is remembered until then). Prints one table row per size.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { FlagStore } from '../../server/detection/flag-store.js';
import { ActiveBlockCount } from '../../server/store/access-list-page.js';
import { AccessLists } from '../../server/store/access-lists.js';
import { openStateStore } from '../../server/store/state-store.js';

const sizes = (process.argv[2] || '1000,100000,1000000').split(',').map(Number);
const rounds = Number(process.env.ROUNDS ?? 15);
const FLAGS = 1000;
const REFRESHED = 170;
const AT = new Date().toISOString();

/** The event-loop time (ms) `work` takes, its awaited I/O excluded. */
async function loopMs(work: () => Promise<unknown>): Promise<number> {
  const before = performance.eventLoopUtilization();
  await work();
  return performance.eventLoopUtilization(before).active;
}

/** The time (ms) synchronous `work` takes. */
function syncMs(work: () => unknown): number {
  const start = performance.now();
  work();
  return performance.now() - start;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

async function seed(file: string, blocks: number): Promise<void> {
  const state = {
    version: 1,
    blocks: Array.from({ length: blocks }, (_, i) => ({
      target: `${240 + (i % 15)}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      reason: 'bench',
      createdAt: AT,
      createdBy: 'bench',
      expiresAt: null,
    })),
    allowlist: [],
    flags: Array.from({ length: FLAGS }, (_, i) => ({
      ip: ip(i),
      reason: 'high_volume',
      details: { window: '1h', threshold: 100, samplePaths: ['/', '/login', '/wp-admin'] },
      request_count: 120,
      first_seen: AT,
      last_seen: AT,
      is_active: true,
    })),
    settings: {},
    audit: Array.from({ length: Math.floor(blocks / 5) }, (_, i) => ({
      at: AT,
      actor: 'rule:high_volume',
      action: 'flag',
      target: ip(i),
      reason: 'high_volume',
      details: { count: 120 },
    })),
    jobRuns: [],
  };
  await writeFile(file, JSON.stringify(state, null, 2));
}

console.log(
  '| blocks | audit entries | state file MB | open s | block one IP ms | raise one flag ms | refresh 170 of 1,000 flags ms | newest 200 blocks ms | search ms | count in force ms |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const blocks of sizes) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ipwarden-state-bench-'));
  try {
    const file = path.join(dataDir, 'state.json');
    await seed(file, blocks);
    const opened = performance.now();
    const store = await openStateStore({ dataDir });
    const lists = new AccessLists(store);
    const flags = new FlagStore(store, lists, { refreshWriteMs: 3_600_000, refreshMs: 0 });
    const openS = (performance.now() - opened) / 1000;
    // The first commit after opening serialises every field once; it is not what is measured.
    await lists.block({ target: '203.0.113.0', actor: 'user:bench' });
    const block: number[] = [];
    const raise: number[] = [];
    const refresh: number[] = [];
    for (let r = 0; r < rounds; r++) {
      block.push(await loopMs(() => lists.block({ target: `203.0.113.${r + 1}`, actor: 'user:bench' })));
      const evidence = { ip: `198.51.100.${r}`, reason: 'sensitive_paths' as const, count: 6, details: {} };
      raise.push(
        await loopMs(() => flags.raise({ ...evidence, seenAt: Date.now() }, 'rule:sensitive_paths')),
      );
      for (let i = 0; i < REFRESHED; i++) {
        const details = { window: '1h', threshold: 100, samplePaths: ['/'] };
        const evidence = {
          ip: ip((i * 5 + r) % FLAGS),
          reason: 'high_volume' as const,
          count: 200 * (r + 2),
          details,
        };
        await flags.raise({ ...evidence, seenAt: Date.now() }, 'rule:high_volume');
      }
      refresh.push(await loopMs(() => flags.writeRefreshes()));
    }
    const page: number[] = [];
    const search: number[] = [];
    const count: number[] = [];
    for (let r = 0; r < rounds; r++) {
      page.push(syncMs(() => lists.blockPage({ limit: 200 })));
      search.push(syncMs(() => lists.blockPage({ search: '203.0.113.7', limit: 200 })));
      // A fresh counter: the appliance's remembers its count until the list changes.
      count.push(syncMs(() => new ActiveBlockCount().count(store.data.blocks, Date.now())));
    }
    const mb = (await stat(file)).size / 2 ** 20;
    const cells = [blocks, Math.floor(blocks / 5), mb.toFixed(1), openS.toFixed(2)].map(String);
    for (const xs of [block, raise, refresh]) cells.push(median(xs).toFixed(1));
    for (const xs of [page, search, count]) cells.push(median(xs).toFixed(2));
    console.log(`| ${cells.join(' | ')} |`);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
