import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushRecords, startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

let upstream: TestUpstream;
let app: TestAppliance;
const json = { 'content-type': 'application/json' };

beforeAll(async () => {
  upstream = await startUpstream();
  app = await startTestAppliance({ upstream: upstream.url.href, trustProxy: 'loopback', schedule: false });
});
afterAll(async () => {
  await app.stop();
  await upstream.close();
});

function proxyGet(path: string, ip: string): Promise<number> {
  const { hostname, port } = new URL(app.addresses.proxyUrl);
  return new Promise((resolve, reject) => {
    http
      .get({ hostname, port, path, headers: { 'x-forwarded-for': ip } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

describe('UI session', () => {
  it('trades the token for an HttpOnly SameSite=Strict cookie that authenticates reads', async () => {
    const session = await app.admin('/api/session', { method: 'POST' });
    expect(session.status).toBe(204);
    const cookie = session.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^ipwarden_session=[\w-]+; path=\/; samesite=strict; httponly$/i);
    expect(cookie).not.toContain(app.appliance.parts.token);
    const value = cookie.split(';')[0] as string;
    const read = await fetch(new URL('/api/blocks', app.addresses.adminUrl), { headers: { cookie: value } });
    expect(read.status).toBe(200);
    // State changes with the cookie need the UI's own Origin; without it (or from elsewhere) they are refused.
    const body = JSON.stringify({ target: '192.0.2.44' });
    const noOrigin = await fetch(new URL('/api/blocks', app.addresses.adminUrl), {
      method: 'POST',
      headers: { ...json, cookie: value },
      body,
    });
    expect(noOrigin.status).toBe(403);
    const foreign = await fetch(new URL('/api/blocks', app.addresses.adminUrl), {
      method: 'POST',
      headers: { ...json, cookie: value, origin: 'http://attacker.example' },
      body,
    });
    expect(foreign.status).toBe(403);
    const own = await fetch(new URL('/api/blocks', app.addresses.adminUrl), {
      method: 'POST',
      headers: { ...json, cookie: value, origin: app.addresses.adminUrl },
      body,
    });
    expect(own.status).toBe(201);
    expect((await app.admin('/api/blocks/192.0.2.44', { method: 'DELETE' })).status).toBe(200);
    // A forged cookie is worthless, and the cookie cannot mint another session.
    const forged = await fetch(new URL('/api/blocks', app.addresses.adminUrl), {
      headers: { cookie: 'ipwarden_session=forged' },
    });
    expect(forged.status).toBe(401);
    const mint = await fetch(new URL('/api/session', app.addresses.adminUrl), {
      method: 'POST',
      headers: { cookie: value, origin: app.addresses.adminUrl },
    });
    expect(mint.status).toBe(401);
  });

  it('sends a strict Content-Security-Policy on every response', async () => {
    for (const path of ['/', '/api/health', '/api/blocks']) {
      const response = await app.admin(path);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
    }
  });
});

describe('live events', () => {
  it('streams ticks, requests and blocks to an EventSource-style client', async () => {
    const controller = new AbortController();
    const response = await app.admin('/api/events', { signal: controller.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    await proxyGet('/live-check', '81.2.69.142');
    await app.appliance.parts.accessLists.block({ target: '192.0.2.55', actor: 'test' });
    const deadline = Date.now() + 3_000;
    while (
      !(text.includes('event: tick') && text.includes('/live-check') && text.includes('event: block')) &&
      Date.now() < deadline
    ) {
      const { value } = await reader.read();
      text += decoder.decode(value);
    }
    controller.abort();
    expect(text).toContain('event: request');
    const request = text.split('\n\n').find((e) => e.includes('/live-check')) as string;
    const record = JSON.parse(request.split('data: ')[1] as string) as {
      source: { ip: string; geo?: { country_iso_code: string } };
    };
    expect(record.source).toMatchObject({ ip: '81.2.69.142', geo: { country_iso_code: 'GB' } });
    expect(text).toContain('event: block\ndata: {"target":"192.0.2.55"}');
    await app.appliance.parts.accessLists.unblock('192.0.2.55', 'test');
  });
});

describe('IP detail', () => {
  it('gathers an IP’s decision, requests, countries, flags and audit history', async () => {
    await proxyGet('/one', '81.2.69.142');
    await app.appliance.parts.accessLists.block({ target: '81.2.69.0/24', reason: 'range', actor: 'test' });
    await flushRecords(app.appliance);
    const detail = (await (await app.admin('/api/ips/81.2.69.142')).json()) as {
      decision: string;
      block: { target: string };
      requests: unknown[];
      countries: { code: string }[];
      audit: { action: string; target: string }[];
    };
    expect(detail.decision).toBe('blocked');
    expect(detail.block.target).toBe('81.2.69.0/24');
    expect(detail.requests.length).toBeGreaterThan(0);
    expect(detail.countries[0]?.code).toBe('GB');
    expect(detail.audit[0]).toMatchObject({ action: 'block', target: '81.2.69.0/24' });
    await app.appliance.parts.accessLists.unblock('81.2.69.0/24', 'test');
    expect((await app.admin('/api/ips/not-an-ip')).status).toBe(400);
  });

  it('names a timed block by its stored fields only', async () => {
    const lists = app.appliance.parts.accessLists;
    const { entry } = await lists.block({ target: '192.0.2.77', durationMs: 3_600_000, actor: 'test' });
    const detail = (await (await app.admin('/api/ips/192.0.2.77')).json()) as { block: unknown };
    expect(detail.block).toEqual(entry);
    await lists.unblock('192.0.2.77', 'test');
  });
});

describe('settings', () => {
  it('validates, saves and applies thresholds, rate limits and trusted proxies without a restart', async () => {
    const { settings } = (await (await app.admin('/api/settings')).json()) as {
      settings: Record<string, unknown>;
    };
    expect(settings).toMatchObject({
      trustProxy: ['127.0.0.0/8', '::1'],
      detection: { thresholds: { high_volume: 100 } },
    });

    const bad = await app.admin('/api/settings', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({
        ...settings,
        detection: { ...(settings.detection as object), thresholds: { high_volume: -1 } },
      }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('detection.thresholds.high_volume');
    const stateBefore = JSON.stringify(app.appliance.parts.state.data.settings);

    // Stop trusting loopback: X-Forwarded-For is ignored at once.
    const next = {
      ...settings,
      trustProxy: [],
      rateLimits: [
        { name: 'search', paths: ['/search'], methods: ['GET'], anonymous: { max: 2, period: '1m' } },
      ],
    };
    expect(JSON.stringify(app.appliance.parts.state.data.settings)).toBe(stateBefore);
    const saved = await app.admin('/api/settings', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify(next),
    });
    expect(saved.status).toBe(200);
    expect(await proxyGet('/search', '198.51.100.1')).toBe(200);
    expect(await proxyGet('/search', '198.51.100.2')).toBe(200);
    expect(await proxyGet('/search', '198.51.100.3')).toBe(429); // one client now: the socket peer
    expect(app.appliance.parts.state.data.settings).toMatchObject({ trustProxy: [] });
    expect(app.appliance.parts.state.data.audit.at(-1)).toMatchObject({ action: 'settings' });

    // A partial change keeps everything it leaves out, and a bare 90 for a retention is refused.
    const partial = await app.admin('/api/settings', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ detection: { thresholds: { high_volume: 500 } } }),
    });
    expect(partial.status).toBe(200);
    expect(app.appliance.parts.state.data.settings).toMatchObject({
      trustProxy: [],
      rateLimits: [expect.objectContaining({ name: 'search' })],
      detection: { thresholds: { high_volume: 500 } },
    });
    // A value equal to the config's is in force but not saved: it keeps following the config.
    const inForce = (await (await app.admin('/api/settings')).json()) as {
      settings: { detection: { thresholds: Record<string, number> } };
    };
    expect(inForce.settings.detection.thresholds.admin_access).toBe(3);
    expect(app.appliance.parts.state.data.settings).not.toHaveProperty('detection.thresholds.admin_access');
    const typo = await app.admin('/api/settings', {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ detection: { retention: '90' } }),
    });
    expect(typo.status).toBe(400);
    expect(await typo.text()).toContain('detection.retention: must be at least 1d');
  });
});

describe('stats timeline', () => {
  it('buckets requests per minute split by action, with empty buckets filled', async () => {
    const until = new Date(Date.now() + 60_000);
    const since = new Date(until.getTime() - 10 * 60_000);
    const stats = (await (
      await app.admin(`/api/stats?since=${since.toISOString()}&until=${until.toISOString()}&bucket=minute`)
    ).json()) as { timeline: { t: string; allowed: number }[]; countries: { code: string }[] };
    expect(stats.timeline.length).toBeGreaterThanOrEqual(10);
    expect(stats.timeline.reduce((n, b) => n + b.allowed, 0)).toBeGreaterThan(0);
    expect(stats.countries.map((c) => c.code)).toContain('GB');
  });

  it('counts active flags and, as the navigation badge does, the IPs they name', async () => {
    const { flags } = app.appliance.parts.detection;
    const seenAt = Date.now();
    for (const [ip, reason] of [
      ['198.18.9.1', 'admin_access'],
      ['198.18.9.1', 'sensitive_paths'],
      ['198.18.9.2', 'admin_access'],
    ] as const)
      await flags.raise({ ip, reason, count: 9, details: {}, seenAt }, 'test');
    const stats = (await (await app.admin('/api/stats')).json()) as {
      activeFlags: number;
      flaggedIps: number;
    };
    const active = app.appliance.parts.state.data.flags.filter((f) => f.is_active);
    expect(stats.activeFlags).toBe(active.length);
    expect(stats.flaggedIps).toBe(new Set(active.map((f) => f.ip)).size);
    expect(stats.activeFlags - stats.flaggedIps).toBeGreaterThanOrEqual(1);
  });
});
