import RedisMock from 'ioredis-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sweepExpiredKeys } from '../../../server/store/embedded-expiry.js';

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2026-11-22T10:00:00Z'), toFake: ['Date', 'setInterval'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('sweepExpiredKeys', () => {
  it('drops keys whose TTL passed though nobody reads them again, and keeps live and TTL-less ones', async () => {
    const mock = new RedisMock({ host: `sweep-${Math.random()}`, keyPrefix: 't:' });
    const sweeper = sweepExpiredKeys(mock, { batch: 100 });
    const deleted: string[] = [];
    (mock as unknown as { context: { modifiedKeyEvents: NodeJS.EventEmitter } }).context.modifiedKeyEvents.on(
      'modified',
      (key: string) => deleted.push(key),
    );
    const pipeline = mock.pipeline();
    for (let i = 0; i < 500; i++) {
      pipeline.hincrby(`detect:high_volume:10.0.${i >> 8}.${i & 255}`, '1', 1);
      pipeline.pexpire(`detect:high_volume:10.0.${i >> 8}.${i & 255}`, 60_000);
    }
    pipeline.set('session:long', '1', 'PX', 3_600_000);
    pipeline.set('setting', '1');
    await pipeline.exec();
    expect(sweeper.tracked).toBe(502);
    deleted.length = 0;

    expect(await sweeper.sweep()).toBe(0); // nothing expired yet
    vi.setSystemTime(Date.now() + 61_000);
    expect(await sweeper.sweep()).toBe(500);
    expect(deleted).toHaveLength(500);
    expect(sweeper.tracked).toBe(2);
    expect(await mock.get('session:long')).toBe('1');
    expect(await mock.get('setting')).toBe('1');
    sweeper.stop();
    await mock.quit();
  });

  it('sweeps on its own every interval', async () => {
    const mock = new RedisMock({ host: `sweep-${Math.random()}` });
    const sweeper = sweepExpiredKeys(mock, { intervalMs: 60_000 });
    await mock.set('k', '1', 'PX', 1000);
    expect(sweeper.tracked).toBe(1);
    vi.setSystemTime(Date.now() + 2000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sweeper.tracked).toBe(0);
    sweeper.stop();
    await mock.quit();
  });

  it('caps the keys held, dropping the least recently written first', async () => {
    const mock = new RedisMock({ host: `sweep-${Math.random()}` });
    const sweeper = sweepExpiredKeys(mock, { maxKeys: 100 });
    for (let i = 0; i < 100; i++) await mock.hincrby(`detect:high_volume:ip${i}`, '1', 1);
    await mock.hincrby('detect:high_volume:ip0', '1', 1); // ip0 written again: now the newest
    for (let i = 100; i < 150; i++) await mock.hincrby(`detect:high_volume:ip${i}`, '1', 1);
    expect(sweeper.tracked).toBe(100);
    expect(sweeper.evicted).toBe(50);
    expect(await mock.dbsize()).toBe(100);
    expect(await mock.hget('detect:high_volume:ip0', '1')).toBe('2');
    expect(await mock.exists('detect:high_volume:ip1')).toBe(0);
    expect(await mock.exists('detect:high_volume:ip51')).toBe(1);
    // Deleted keys stop counting against the cap: nothing live is dropped for them.
    for (let i = 51; i < 61; i++) await mock.del(`detect:high_volume:ip${i}`);
    expect(sweeper.tracked).toBe(90);
    for (let i = 200; i < 210; i++) await mock.hincrby(`detect:high_volume:ip${i}`, '1', 1);
    expect(sweeper.evicted).toBe(50);
    sweeper.stop();
    await mock.quit();
  });

  it('counts as swept only the expired keys it found, not keys evicted or deleted while it paused', async () => {
    const mock = new RedisMock({ host: `sweep-${Math.random()}` });
    const sweeper = sweepExpiredKeys(mock, { maxKeys: 10, batch: 5 });
    for (let i = 0; i < 10; i++) await mock.set(`k${i}`, '1');
    const pass = sweeper.sweep(); // checks k0-k4, then pauses
    for (let i = 0; i < 5; i++) await mock.set(`n${i}`, '1'); // evicts k0-k4
    await mock.del('k9');
    expect(await pass).toBe(0);
    expect(sweeper.evicted).toBe(5);
    expect(sweeper.tracked).toBe(9);
    sweeper.stop();
    await mock.quit();
  });

  it('refuses a client that is not an ioredis-mock, at setup', () => {
    expect(() => sweepExpiredKeys({})).toThrow(/ioredis-mock without context/);
  });
});
