import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { allRecords, startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

let upstream: TestUpstream;
let app: TestAppliance;

beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream.close();
});
afterEach(async () => {
  vi.useRealTimers();
  await app?.stop();
  upstream.seen.length = 0;
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
}

function post(pathname: string, headers: Record<string, string>): Promise<Answer> {
  const { hostname, port } = new URL(app.addresses.proxyUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { hostname, port, path: pathname, method: 'POST', headers, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end('username=x&password=y');
  });
}

async function posts(
  count: number,
  pathname: string,
  headers: () => Record<string, string>,
): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push((await post(pathname, headers())).status);
  return statuses;
}

describe('login rate limit (seed defaults: 5/min anonymous, 10/min authenticated)', () => {
  it('answers the 6th anonymous login POST in a minute with 429, Retry-After and X-RateLimit headers', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href });
    const statuses = await posts(5, '/login', () => ({}));
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const limited = await post('/login', {});
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers['x-ratelimit-limit']).toBe('5');
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    expect(upstream.seen.filter((r) => r.url === '/login')).toHaveLength(5);

    const records = await allRecords(app);
    expect(records.map((r) => r.event.action)).toEqual([
      'allowed',
      'allowed',
      'allowed',
      'allowed',
      'allowed',
      'rate_limited',
    ]);
    expect(records[5]?.rule?.name).toBe('ratelimit:login');
    // Other paths and methods are not limited.
    expect((await app.proxy('/login')).status).toBe(200);
    expect((await post('/other', {})).status).toBe(200);
  });

  it('catches evasions of the login path: /api/login/, //login, /./Login, /LOGIN and /%4Cogin share the budget', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href });
    const statuses = [];
    for (const p of ['/login', '/LOGIN', '//login', '/./Login', '/login?x=1', '/%4Cogin'])
      statuses.push((await post(p, {})).status);
    expect(statuses.slice(0, 5).every((s) => s !== 429)).toBe(true);
    expect(statuses[5]).toBe(429);
    expect((await post('/api/login/', {})).status).toBe(429); // the same rule: one budget per client
  });

  it('opens a fresh budget after the period has passed (injected clock)', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href });
    vi.useFakeTimers({ toFake: ['Date', 'hrtime'], shouldAdvanceTime: false });
    // The limiter keys each hit by its timestamp: let the fake clock move 1 ms per request, as a real one does.
    const tick = () => {
      vi.advanceTimersByTime(1);
      return {};
    };
    expect(await posts(6, '/login', tick)).toEqual([401, 401, 401, 401, 401, 429]);
    vi.advanceTimersByTime(30_000);
    expect((await post('/login', {})).status).toBe(429);
    vi.advanceTimersByTime(31_000);
    expect((await post('/login', {})).status).toBe(401);
  });

  // A lone Set-Cookie and repeated ones reach the proxy in different shapes; both must be learned.
  it.each([
    ['with other cookies', 'two'],
    ['alone', 'one'],
  ])('gives a session the upstream vouched for (cookie set %s) its own budget of 10', async (_, cookies) => {
    app = await startTestAppliance({ upstream: upstream.url.href, trustProxy: 'loopback' });
    const login = await post(`/login?user=ok&cookies=${cookies}`, { 'x-forwarded-for': '198.51.100.1' });
    expect(login.headers['set-cookie']).toHaveLength(cookies === 'one' ? 1 : 2);
    expect(login.status).toBe(302);
    const cookie = String(login.headers['set-cookie']?.[0]).split(';')[0] as string;
    // The same IP has 4 anonymous attempts left, but the session counts separately: 10 allowed.
    const withSession = await posts(11, '/login', () => ({ 'x-forwarded-for': '198.51.100.1', cookie }));
    expect(withSession.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(withSession[10]).toBe(429);
  });

  it('gives a session set in answer to a request with a vouched-for one no budget of its own', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href, trustProxy: 'loopback' });
    const ip = { 'x-forwarded-for': '198.51.100.5' };
    const first = await post('/login?user=ok&cookies=one', ip);
    let cookie = String(first.headers['set-cookie']?.[0]).split(';')[0] as string;
    // Each answer sets a new session, which the next attempt presents: one budget of 10 for the chain.
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const answer = await post('/login?user=ok&cookies=one', { ...ip, cookie });
      statuses.push(answer.status);
      if (answer.headers['set-cookie'])
        cookie = String(answer.headers['set-cookie'][0]).split(';')[0] as string;
      await new Promise((r) => setTimeout(r, 5)); // the session is learned after the answer is relayed
    }
    expect(statuses).toEqual([...Array(10).fill(302), 429]);
  });

  it('gives the sessions a site mints for one address one budget between them', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href, trustProxy: 'loopback' });
    const ip = { 'x-forwarded-for': '198.51.100.8' };
    // A site that answers every failed form login with 200 and a new cookie (--session-from success).
    const cookies: string[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = await post('/login?user=form', ip); // the cookie is never sent back
      statuses.push(answer.status);
      if (answer.headers['set-cookie'])
        cookies.push(String(answer.headers['set-cookie'][0]).split(';')[0] as string);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    await new Promise((r) => setTimeout(r, 10));
    // Five cookies, one signed-in budget of 10: no more than 15 attempts a minute from the address.
    const withCookies = await posts(11, '/login?user=form', () => ({
      ...ip,
      cookie: cookies[statuses.length++ % 5] as string,
    }));
    expect(withCookies).toEqual([...Array(10).fill(200), 429]);
  });

  it('with --session-from redirect, a failed form login answered 200 with a cookie vouches for nothing', async () => {
    app = await startTestAppliance({
      upstream: upstream.url.href,
      trustProxy: 'loopback',
      sessionFrom: 'redirect',
    });
    const ip = { 'x-forwarded-for': '198.51.100.6' };
    let cookie = '';
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = await post('/login?user=form', cookie ? { ...ip, cookie } : ip);
      statuses.push(answer.status);
      if (answer.headers['set-cookie'])
        cookie = String(answer.headers['set-cookie'][0]).split(';')[0] as string;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    // A successful login (302) is still learned.
    const ok = await post('/login?user=ok&cookies=one', { 'x-forwarded-for': '198.51.100.7' });
    const session = String(ok.headers['set-cookie']?.[0]).split(';')[0] as string;
    await new Promise((r) => setTimeout(r, 5));
    expect(await posts(6, '/login', () => ({ 'x-forwarded-for': '198.51.100.7', cookie: session }))).toEqual(
      Array(6).fill(401),
    );
  });

  it('treats made-up and rotating session cookies as anonymous', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href, trustProxy: 'loopback' });
    let n = 0;
    const statuses = await posts(6, '/login', () => ({
      'x-forwarded-for': '198.51.100.2',
      cookie: `sessionid=fake${n++}`,
    }));
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('never stores the session secret, only its hash', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href });
    const login = await post('/login?user=ok', {});
    const secret = String(login.headers['set-cookie']?.[0]).split(';')[0]?.split('=')[1] as string;
    const counters = app.appliance.parts.counters;
    await new Promise((r) => setTimeout(r, 20));
    const keys = await counters.keys('*');
    expect(keys.some((k) => k.includes('session:'))).toBe(true);
    expect(keys.some((k) => k.includes(secret))).toBe(false);
  });

  it('counts limits per client IP behind a trusted proxy', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href, trustProxy: 'loopback' });
    expect(await posts(6, '/login', () => ({ 'x-forwarded-for': '198.51.100.3' }))).toEqual([
      401, 401, 401, 401, 401, 429,
    ]);
    expect((await post('/login', { 'x-forwarded-for': '198.51.100.4' })).status).toBe(401);
  });

  it('counts an IPv6 client per /64: a new address for every attempt shares one budget', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href, trustProxy: 'loopback' });
    let n = 0;
    const rotating = () => ({ 'x-forwarded-for': `2001:db8:1:2:${(++n).toString(16)}::1` });
    expect(await posts(6, '/login', rotating)).toEqual([401, 401, 401, 401, 401, 429]);
    // The next /64 (another subscriber) has its own budget.
    expect((await post('/login', { 'x-forwarded-for': '2001:db8:1:3::1' })).status).toBe(401);
    const records = await allRecords(app);
    // Each request is still logged under its own address.
    expect(new Set(records.map((r) => r.source.ip)).size).toBe(7);
  });

  it('with --rate-limit-ipv6-prefix 128, counts each IPv6 address on its own', async () => {
    app = await startTestAppliance({
      upstream: upstream.url.href,
      trustProxy: 'loopback',
      rateLimitIpv6Prefix: '128',
    });
    let n = 0;
    const rotating = () => ({ 'x-forwarded-for': `2001:db8:1:2::${(++n).toString(16)}` });
    expect(await posts(6, '/login', rotating)).toEqual([401, 401, 401, 401, 401, 401]);
  });
});
