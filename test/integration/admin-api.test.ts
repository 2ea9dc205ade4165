import { stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushRecords, startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

let upstream: TestUpstream;
let app: TestAppliance;

beforeAll(async () => {
  upstream = await startUpstream();
  app = await startTestAppliance({ upstream: upstream.url.href, trustProxy: 'loopback' });
});
afterAll(async () => {
  await app.stop();
  await upstream.close();
});

const json = { 'content-type': 'application/json' };

describe('admin API', () => {
  it('answers health without a token and everything else only with the token', async () => {
    const health = await fetch(new URL('/api/health', app.addresses.adminUrl));
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', problems: [] });
    const anonymous = await fetch(new URL('/api/blocks', app.addresses.adminUrl));
    expect(anonymous.status).toBe(401);
    const wrong = await fetch(new URL('/api/blocks', app.addresses.adminUrl), {
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toContain('admin token');
    expect((await app.admin('/api/blocks')).status).toBe(200);
  });

  it('keeps the token in a 0600 file in the data dir', async () => {
    const info = await stat(path.join(app.dataDir, 'admin-token'));
    expect(info.mode & 0o777).toBe(0o600);
  });

  it('is never reachable through the proxy port', async () => {
    const response = await app.proxy('/api/health');
    expect(upstream.seen.at(-1)?.url).toBe('/api/health'); // it went to the site, not to ipwarden's API
    expect(await response.text()).toBe('ok');
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin on state changes', async () => {
    const { hostname, port } = new URL(app.addresses.adminUrl);
    // fetch() cannot set Host; a plain request can, as a DNS-rebinding page's browser effectively does.
    const rebindingStatus = await new Promise<number>((resolve, reject) => {
      http
        .get(
          {
            hostname,
            port,
            path: '/api/blocks',
            headers: { host: `evil.example:${port}`, authorization: `Bearer ${app.appliance.parts.token}` },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
        .on('error', reject);
    });
    expect(rebindingStatus).toBe(421);
    const crossOrigin = await app.admin('/api/blocks', {
      method: 'POST',
      headers: { ...json, origin: 'http://evil.example' },
      body: JSON.stringify({ target: '192.0.2.1' }),
    });
    expect(crossOrigin.status).toBe(403);
    expect(app.appliance.parts.accessLists.listBlocks()).toHaveLength(0);
  });

  it('creates, lists and deletes blocks and allowlist entries, with clear 400s for bad input', async () => {
    const bad = await app.admin('/api/blocks', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ target: '300.1.1.1' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('300.1.1.1');
    const badDuration = await app.admin('/api/blocks', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ target: '192.0.2.1', duration: 'soon' }),
    });
    expect(badDuration.status).toBe(400);
    expect(((await badDuration.json()) as { error: { message: string } }).error.message).toContain(
      'duration',
    );
    expect(app.appliance.parts.accessLists.listBlocks()).toHaveLength(0);

    const created = await app.admin('/api/blocks', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ target: '2001:DB8::/32', reason: 'docs range', duration: '2h' }),
    });
    expect(created.status).toBe(201);
    const { entry } = (await created.json()) as { entry: { target: string; expiresAt: string } };
    expect(entry.target).toBe('2001:db8::/32');
    expect(Date.parse(entry.expiresAt) - Date.now()).toBeGreaterThan(7_100_000);

    const list = (await (await app.admin('/api/blocks')).json()) as {
      blocks: { target: string; expired: boolean }[];
    };
    expect(list.blocks).toEqual([expect.objectContaining({ target: '2001:db8::/32', expired: false })]);
    expect(
      (await app.admin(`/api/blocks/${encodeURIComponent('2001:db8::/32')}`, { method: 'DELETE' })).status,
    ).toBe(200);
    expect(
      (await app.admin(`/api/blocks/${encodeURIComponent('2001:db8::/32')}`, { method: 'DELETE' })).status,
    ).toBe(404);

    const allowed = await app.admin('/api/allowlist', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ target: '10.0.0.0/8' }),
    });
    expect(allowed.status).toBe(201);
    const warn = await app.admin('/api/blocks', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ target: '10.1.0.0/16' }),
    });
    expect(((await warn.json()) as { warnings: string[] }).warnings[0]).toContain('10.0.0.0/8');
    expect((await app.admin('/api/allowlist/10.0.0.0%2F8', { method: 'DELETE' })).status).toBe(200);
    // Allowlisting an address inside a blocked range says the block no longer applies to it.
    const inside = await app.admin('/api/allowlist', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ target: '10.1.9.9' }),
    });
    expect(((await inside.json()) as { warnings: string[] }).warnings).toEqual([
      '10.1.0.0/16 is blocked; 10.1.9.9 is let through all the same (the allowlist wins over blocks)',
    ]);
    expect((await app.admin('/api/allowlist/10.1.9.9', { method: 'DELETE' })).status).toBe(200);
    // Unblocking an address a range still covers says which range.
    await app.admin('/api/blocks', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ target: '10.1.2.3' }),
    });
    const lifted = await app.admin('/api/blocks/10.1.2.3', { method: 'DELETE' });
    expect(await lifted.json()).toMatchObject({
      removed: { target: '10.1.2.3' },
      stillBlockedBy: '10.1.0.0/16',
    });
    expect((await app.admin('/api/blocks/10.1.0.0%2F16', { method: 'DELETE' })).status).toBe(200);
  });

  it('pages and searches the lists on the server, and names the block covering each flagged IP', async () => {
    const lists = app.appliance.parts.accessLists;
    for (let i = 1; i <= 5; i++)
      await lists.block({
        target: `198.51.100.${i}`,
        reason: i === 2 ? 'Credential stuffing' : 'scan',
        actor: 'user:ann',
      });
    await lists.block({ target: '198.51.100.0/24', reason: 'range', durationMs: 60_000, actor: 'user:ann' });
    type Page = { blocks: { target: string }[]; total: number; matched: number; active: number };
    const page = (await (await app.admin('/api/blocks?limit=2&offset=1')).json()) as Page;
    expect(page.blocks.map((b) => b.target)).toEqual(['198.51.100.5', '198.51.100.4']);
    expect(page).toMatchObject({ total: 6, matched: 6, active: 6 });
    const found = (await (await app.admin('/api/blocks?search=STUFFING')).json()) as Page;
    expect(found.blocks.map((b) => b.target)).toEqual(['198.51.100.2']);
    expect(found).toMatchObject({ total: 6, matched: 1 });
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=0x10', 'limit'],
      ['limit=', 'limit'],
      ['offset=-1', 'offset'],
      ['offset=1e3', 'offset'],
      ['q=scan', 'q'],
    ])
      expect(await (await app.admin(`/api/blocks?${query}`)).json()).toMatchObject({
        error: { message: expect.stringContaining(`invalid query field "${field}"`) },
      });
    expect(await (await app.admin('/api/blocks?limit=abc')).json()).toMatchObject({
      error: { message: 'invalid query field "limit": expected a whole number from 1 to 1000, got "abc"' },
    });
    expect((await app.admin('/api/allowlist?limit=1')).status).toBe(200);
    // A misspelt filter is refused, naming it, on the flags and in exports that do not take it.
    const misspelt: [string, string][] = [
      ['/api/flags?activ=1', 'invalid query field "activ"'],
      [
        '/api/export/blocks?format=csv&ip=10.0.3.7',
        'invalid query field "ip": the blocks export takes only format',
      ],
      [
        '/api/export/allowlist?since=2026-01-01T00:00:00Z',
        'invalid query field "since": the allowlist export takes only format',
      ],
      [
        '/api/export/flags?path=/x',
        'invalid query field "path": the flags export takes only format, since, until',
      ],
      // Date.parse would take these as 2001-12-07 and 2026-03-02.
      ['/api/requests?since=Dec%207', 'invalid query field "since": expected an ISO 8601 time or epoch'],
      ['/api/export/requests?until=2026-02-30', 'invalid query field "until": expected an ISO 8601 time'],
    ];
    for (const [path, message] of misspelt) {
      const refused = await app.admin(path);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(message);
    }

    await app.appliance.parts.detection.flags.raise(
      { ip: '198.51.100.3', reason: 'sensitive_paths', count: 6, details: {}, seenAt: Date.now() },
      'rule:sensitive_paths',
    );
    await app.appliance.parts.detection.flags.raise(
      { ip: '192.0.2.44', reason: 'sensitive_paths', count: 6, details: {}, seenAt: Date.now() },
      'rule:sensitive_paths',
    );
    const { flags } = (await (await app.admin('/api/flags?active=1')).json()) as {
      flags: { ip: string; block: { target: string } | null }[];
    };
    expect(flags.find((f) => f.ip === '198.51.100.3')?.block).toMatchObject({ target: '198.51.100.3' });
    expect(flags.find((f) => f.ip === '192.0.2.44')?.block).toBeNull();
    // TEST-NET addresses are in no geolocation database: the country is null, not left out.
    expect(flags.find((f) => f.ip === '192.0.2.44')).toHaveProperty('country', null);
    for (const target of [
      '198.51.100.0/24',
      '198.51.100.1',
      '198.51.100.2',
      '198.51.100.3',
      '198.51.100.4',
      '198.51.100.5',
    ])
      await lists.unblock(target, 'user:ann');
  });

  it('filters and paginates requests, validates queries and exports CSV safely', async () => {
    const hostile = '=HYPERLINK("http://evil.example","click")';
    for (let i = 0; i < 7; i++) {
      await app.proxy(`/page${i}`, {
        headers: { 'x-forwarded-for': '81.2.69.142', 'user-agent': i === 3 ? hostile : 'ua' },
      });
    }
    await flushRecords(app.appliance);
    const first = (await (await app.admin('/api/requests?ip=81.2.69.142&limit=4')).json()) as {
      records: { url: { path: string } }[];
      nextCursor: string;
    };
    expect(first.records.map((r) => r.url.path)).toEqual(['/page6', '/page5', '/page4', '/page3']);
    const second = (await (
      await app.admin(`/api/requests?ip=81.2.69.142&limit=4&cursor=${encodeURIComponent(first.nextCursor)}`)
    ).json()) as typeof first;
    expect(second.records.map((r) => r.url.path)).toEqual(['/page2', '/page1', '/page0']);
    expect(second.nextCursor).toBeNull();

    const gb = (await (await app.admin('/api/requests?country=gb')).json()) as typeof first;
    expect(gb.records.length).toBeGreaterThanOrEqual(7);
    const badStatus = await app.admin('/api/requests?status=abc');
    expect(badStatus.status).toBe(400);
    expect(await badStatus.text()).toContain('status');
    const badCursor = await app.admin('/api/requests?cursor=garbage');
    expect(badCursor.status).toBe(400);

    const csv = await app.admin('/api/export/requests?format=csv&ip=81.2.69.142');
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('content-disposition')).toMatch(
      /attachment; filename="ipwarden-requests-.*\.csv"/,
    );
    const text = await csv.text();
    expect(text.split('\n')[0]).toBe(
      'timestamp,ip,country,country_name,city,method,path,query,status,action,rule,duration_ms,user_agent,referrer',
    );
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(text).not.toMatch(/,=HYPERLINK/);

    const ndjson = await (await app.admin('/api/export/requests?format=ndjson&ip=81.2.69.142')).text();
    expect(ndjson.trim().split('\n')).toHaveLength(7);
    const asJson = (await (await app.admin('/api/export/blocks?format=json')).json()) as unknown[];
    expect(Array.isArray(asJson)).toBe(true);
    await app.appliance.parts.accessLists.allow({
      target: '192.0.2.0/28',
      reason: '+monitors',
      actor: 'test',
    });
    const allowCsv = await app.admin('/api/export/allowlist?format=csv');
    expect(allowCsv.headers.get('content-disposition')).toMatch(/filename="ipwarden-allowlist-.*\.csv"/);
    const allowRows = (await allowCsv.text()).trim().split('\n');
    expect(allowRows[0]).toBe('target,reason,createdAt,createdBy');
    expect(allowRows.find((row) => row.startsWith('192.0.2.0/28,'))).toMatch(
      /^192\.0\.2\.0\/28,'\+monitors,/,
    );
    expect((await app.admin('/api/export/nope')).status).toBe(404);
    expect((await app.admin('/api/export/requests?format=xml')).status).toBe(400);
  });
});
