import { describe, expect, it } from 'vitest';
import { RateLimitReplay } from '../../../server/detection/rate-limit-replay.js';
import { parseSettings } from '../../../server/settings.js';
import { record } from '../../helpers/records.js';

const T = Date.parse('2026-03-02T10:00:00Z');
const rules = parseSettings({
  rateLimits: [{ name: 'login', paths: ['/login'], methods: ['POST'], anonymous: { max: 2, period: '1m' } }],
}).rateLimits;
const login = (ip: string, at: number) => record(ip, at, { method: 'POST', path: '/login', status: 200 });

describe('RateLimitReplay (sliding-window log, as async-ratelimiter)', () => {
  it('limits the request after max within the period; limited requests do not extend the window', () => {
    const replay = new RateLimitReplay(rules);
    // 0 s and 10 s pass, 20 s and 50 s are limited, 61 s passes (0 s left the window), 65 s is limited.
    for (const s of [0, 10, 20, 50, 61, 65]) replay.add(login('192.0.2.1', T + s * 1000), T + s * 1000);
    expect(replay.limited()).toEqual([{ ip: '192.0.2.1', rule: 'login', requests: 3 }]);
  });

  it('counts per IP, only covered methods and paths', () => {
    const replay = new RateLimitReplay(rules);
    for (let i = 0; i < 5; i++) {
      replay.add(login('192.0.2.2', T + i), T + i);
      replay.add(record('192.0.2.3', T + i, { method: 'GET', path: '/login' }), T + i);
      replay.add(record('192.0.2.4', T + i, { method: 'POST', path: '/other' }), T + i);
    }
    replay.add(login('192.0.2.5', T), T);
    expect(replay.limited()).toEqual([{ ip: '192.0.2.2', rule: 'login', requests: 3 }]);
  });

  it('counts IPv6 clients per /64 as the proxy does, and reports the addresses limited', () => {
    const replay = new RateLimitReplay(rules);
    for (let i = 1; i <= 4; i++) replay.add(login(`2001:db8:0:1::${i}`, T + i), T + i);
    replay.add(login('2001:db8:0:2::1', T + 5), T + 5);
    expect(replay.limited()).toEqual([
      { ip: '2001:db8:0:1::3', rule: 'login', requests: 1 },
      { ip: '2001:db8:0:1::4', rule: 'login', requests: 1 },
    ]);
    const perAddress = new RateLimitReplay(rules, 128);
    for (let i = 1; i <= 4; i++) perAddress.add(login(`2001:db8:0:1::${i}`, T + i), T + i);
    expect(perAddress.limited()).toEqual([]);
  });

  it('forgets idle IPs on prune without changing what it reports', () => {
    const replay = new RateLimitReplay(rules);
    for (let i = 0; i < 3; i++) replay.add(login('192.0.2.6', T + i), T + i);
    replay.prune(T + 120_000);
    replay.add(login('192.0.2.6', T + 121_000), T + 121_000);
    expect(replay.limited()).toEqual([{ ip: '192.0.2.6', rule: 'login', requests: 1 }]);
  });
});
