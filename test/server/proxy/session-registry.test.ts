import { randomUUID } from 'node:crypto';
import RedisMock from 'ioredis-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSessionRegistry,
  hashSecret,
  type SessionRegistry,
} from '../../../server/proxy/session-registry.js';
import type { CountersClient } from '../../../server/store/index.js';

const NOW = Date.parse('2024-03-01T12:00:00.000Z');
const DEFAULT_TTL = 14 * 86_400_000;
const SECRET = 'abc123-very-secret-session-value';

let counters: CountersClient;
let sessions: SessionRegistry;

beforeEach(() => {
  counters = new RedisMock({ host: `unique-${randomUUID()}` }) as unknown as CountersClient;
  sessions = createSessionRegistry({
    counters,
    cookieName: 'sessionid',
    defaultTtlMs: DEFAULT_TTL,
    now: () => NOW,
  });
});
afterEach(() => {
  counters.disconnect();
});

/** Every key and value in the counters store, as one string. */
async function everything(): Promise<string> {
  const keys = await counters.keys('*');
  const values = await Promise.all(keys.map((k) => counters.get(k)));
  return JSON.stringify([keys, values]);
}

async function ttlOf(secret: string): Promise<number> {
  return counters.pttl(`session:${hashSecret(secret)}`);
}

describe('SessionRegistry', () => {
  it('identifies a session the upstream set after a login, by its SHA-256 hash', async () => {
    await sessions.learn(302, [`sessionid=${SECRET}; Max-Age=60; Path=/; HttpOnly`]);
    const hash = await sessions.identify({ cookie: `sessionid=${SECRET}` });
    expect(hash).toBe(hashSecret(SECRET));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await ttlOf(SECRET)).toBeGreaterThan(59_000);
    expect(await ttlOf(SECRET)).toBeLessThanOrEqual(60_000);
  });

  it('finds the session cookie among other cookies', async () => {
    await sessions.learn(200, ['csrftoken=zzz; Path=/', `sessionid=${SECRET}; Path=/`]);
    expect(await sessions.identify({ cookie: `csrftoken=zzz; theme=dark;  sessionid=${SECRET} ` })).toBe(
      hashSecret(SECRET),
    );
    expect(await sessions.identify({ cookie: 'csrftoken=zzz' })).toBeNull();
  });

  it('treats a made-up or missing cookie as anonymous', async () => {
    await sessions.learn(302, [`sessionid=${SECRET}; Max-Age=60`]);
    expect(await sessions.identify({ cookie: 'sessionid=made-up' })).toBeNull();
    expect(await sessions.identify({ cookie: `sessionid=${SECRET}x` })).toBeNull();
    expect(await sessions.identify({ cookie: `xsessionid=${SECRET}` })).toBeNull();
    expect(await sessions.identify({})).toBeNull();
    expect(await sessions.identify({ cookie: '' })).toBeNull();
  });

  it.each([400, 401, 403, 429, 500, 502])('learns nothing from a %i answer', async (status) => {
    await sessions.learn(status, [`sessionid=${SECRET}; Max-Age=60`]);
    expect(await sessions.identify({ cookie: `sessionid=${SECRET}` })).toBeNull();
    expect(await counters.keys('*')).toEqual([]);
  });

  it('ignores other cookies and answers without Set-Cookie', async () => {
    await sessions.learn(200, ['othersessionid=x; Max-Age=60', 'csrftoken=y']);
    await sessions.learn(200, []);
    expect(await counters.keys('*')).toEqual([]);
  });

  it('forgets a session the upstream expires with Max-Age=0 (logout)', async () => {
    await sessions.learn(302, [`sessionid=${SECRET}; Max-Age=60`]);
    await sessions.learn(302, [`sessionid=${SECRET}; Max-Age=0; Path=/`]);
    expect(await sessions.identify({ cookie: `sessionid=${SECRET}` })).toBeNull();
    expect(await counters.keys('*')).toEqual([]);
  });

  it('forgets a session cleared with an empty value or an Expires in the past', async () => {
    await sessions.learn(200, [`sessionid=${SECRET}; Max-Age=60`]);
    await sessions.learn(200, [`sessionid=${SECRET}; expires=Thu, 01 Jan 1970 00:00:00 GMT`]);
    expect(await sessions.identify({ cookie: `sessionid=${SECRET}` })).toBeNull();

    await sessions.learn(200, ['sessionid=; Path=/']);
    expect(await counters.keys('*')).toEqual([]);
  });

  it('keeps a session as long as Expires says, measured from the injected clock', async () => {
    await sessions.learn(200, [`sessionid=${SECRET}; Expires=Fri, 01 Mar 2024 13:00:00 GMT`]);
    const ttl = await ttlOf(SECRET);
    expect(ttl).toBeGreaterThan(3_500_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
  });

  it('prefers Max-Age over Expires (RFC 6265 §5.3 step 3)', async () => {
    await sessions.learn(200, [`sessionid=${SECRET}; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=120`]);
    expect(await ttlOf(SECRET)).toBeGreaterThan(119_000);
  });

  it('uses the default TTL for a session cookie without Max-Age or Expires', async () => {
    await sessions.learn(200, [`sessionid=${SECRET}; Path=/; HttpOnly; SameSite=Lax`]);
    expect(await ttlOf(SECRET)).toBeGreaterThan(DEFAULT_TTL - 5_000);
  });

  it('never stores the raw cookie value in any key or value', async () => {
    await sessions.learn(302, [`sessionid=${SECRET}; Max-Age=60`]);
    await sessions.learn(302, ['sessionid=second-secret-value; Max-Age=60']);
    await sessions.identify({ cookie: `sessionid=${SECRET}` });
    await sessions.identify({ cookie: 'sessionid=probe-secret-value' });
    const stored = await everything();
    expect(stored).toContain(hashSecret(SECRET));
    for (const secret of [SECRET, 'second-secret-value', 'probe-secret-value'])
      expect(stored).not.toContain(secret);
  });

  it("gives a session set in answer to a request with a vouched-for one that session's budget", async () => {
    await sessions.learn(302, [`sessionid=${SECRET}; Max-Age=60`]);
    const budget = await sessions.identify({ cookie: `sessionid=${SECRET}` });
    // A failed login answered 200 with a new cookie, and again: every link of the chain is one budget.
    await sessions.learn(200, ['sessionid=second-secret-value; Max-Age=60'], budget);
    const second = await sessions.identify({ cookie: 'sessionid=second-secret-value' });
    await sessions.learn(200, ['sessionid=third-secret-value; Max-Age=60'], second);
    expect(await sessions.identify({ cookie: 'sessionid=third-secret-value' })).toBe(hashSecret(SECRET));
    // A session stored by an earlier version ('1') is its own budget.
    await counters.set(`session:${hashSecret('old-secret')}`, '1');
    expect(await sessions.identify({ cookie: 'sessionid=old-secret' })).toBe(hashSecret('old-secret'));
  });

  it.each([
    [302, true],
    [303, true],
    [200, false],
    [204, false],
    [304, false],
  ])('with vouchedBy redirect, a %i answer vouches: %s', async (status, learned) => {
    const strict = createSessionRegistry({
      counters,
      cookieName: 'sessionid',
      defaultTtlMs: DEFAULT_TTL,
      vouchedBy: 'redirect',
    });
    await strict.learn(status, [`sessionid=${SECRET}; Max-Age=60`]);
    expect((await strict.identify({ cookie: `sessionid=${SECRET}` })) !== null).toBe(learned);
  });

  it('honours a different cookie name', async () => {
    const custom = createSessionRegistry({ counters, cookieName: '__Host-sid', defaultTtlMs: DEFAULT_TTL });
    await custom.learn(200, [`__Host-sid=${SECRET}; Secure; Path=/`, 'sessionid=other']);
    expect(await custom.identify({ cookie: `__Host-sid=${SECRET}` })).toBe(hashSecret(SECRET));
    expect(await custom.identify({ cookie: 'sessionid=other' })).toBeNull();
  });
});

describe('hashSecret', () => {
  it('is the hex SHA-256 of the value', () => {
    expect(hashSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
