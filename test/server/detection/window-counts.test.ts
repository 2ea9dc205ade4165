import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryWindowCounts } from '../../../server/detection/memory-window-counts.js';
import { RedisWindowCounts, type WindowCounts } from '../../../server/detection/window-counts.js';
import { type CountersClient, createCounters } from '../../../server/store/index.js';
import { startRedisServer, type TestRedisServer } from '../../helpers/redis-server.js';

let redis: TestRedisServer;
const clients: CountersClient[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await redis.stop();
});

async function onCounters(url?: string): Promise<WindowCounts> {
  const client = createCounters({ url, prefix: `windows-${randomUUID()}:` });
  clients.push(client);
  if (url) await new Promise((resolve) => client.once('ready', resolve)); // no offline queue
  return new RedisWindowCounts(client);
}

// One suite, three backends: the embedded appliance's in-process counts must behave exactly like
// the shared Redis ones (ioredis-mock and a real redis-server).
const backends: [string, () => Promise<WindowCounts>][] = [
  ['in process', async () => new MemoryWindowCounts()],
  ['ioredis-mock', () => onCounters()],
  ['redis-server', () => onCounters(redis.url)],
];

describe.each(backends)('window counts %s', (_name, make) => {
  it('adds hits per key and answers each sum in batch order', async () => {
    const w = await make();
    expect(
      await w.add(
        [
          { key: 'a', hits: 3 },
          { key: 'b', hits: 1 },
        ],
        100,
        60,
      ),
    ).toEqual([3, 1]);
    expect(
      await w.add(
        [
          { key: 'b', hits: 2 },
          { key: 'a', hits: 1 },
        ],
        100,
        60,
      ),
    ).toEqual([3, 4]);
  });

  it('slides: buckets older than the window stop counting, the rest still do', async () => {
    const w = await make();
    await w.add([{ key: 'ip', hits: 5 }], 100, 60);
    await w.add([{ key: 'ip', hits: 7 }], 130, 60);
    expect(await w.add([{ key: 'ip', hits: 1 }], 159, 60)).toEqual([13]); // 100 is still inside (159 − 60 < 100)
    expect(await w.add([{ key: 'ip', hits: 1 }], 160, 60)).toEqual([9]); // 100 fell out: 7 + 1 + 1
    expect(await w.add([{ key: 'ip', hits: 0 }], 300, 60)).toEqual([0]);
  });

  it('follows a shorter window at once (settings changed)', async () => {
    const w = await make();
    await w.add([{ key: 'k', hits: 4 }], 10, 60);
    await w.add([{ key: 'k', hits: 6 }], 40, 60);
    expect(await w.add([{ key: 'k', hits: 1 }], 45, 10)).toEqual([7]);
  });

  it('keeps keys apart, whatever the order of batches', async () => {
    const w = await make();
    const batch = Array.from({ length: 300 }, (_, i) => ({ key: `detect:any:198.51.100.${i}`, hits: i + 1 }));
    const sums = await w.add(batch, 500, 60);
    expect(sums).toEqual(batch.map((b) => b.hits));
    expect(await w.add(batch.slice().reverse(), 501, 60)).toEqual(batch.map((b) => 2 * b.hits).reverse());
  });
});
