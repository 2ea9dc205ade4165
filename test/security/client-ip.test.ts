import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allRecords, startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/** Client-IP attacks over real sockets: spoofed, garbage and overlong forwarding headers. */
describe('client IP from forwarding headers', () => {
  let upstream: TestUpstream;
  let app: TestAppliance | undefined;

  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    upstream.seen.length = 0;
  });
  afterAll(() => upstream.close());

  async function send(path: string, headers: Record<string, string>): Promise<number> {
    const res = await (app as TestAppliance).proxy(path, { headers });
    await res.arrayBuffer();
    return res.status;
  }

  async function recordedIp(path: string): Promise<string | undefined> {
    const records = await allRecords(app as TestAppliance);
    return records.find((r) => r.url.path === path)?.source.ip;
  }

  it('from an untrusted peer, uses the socket address and replaces both headers towards the upstream', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href });
    const spoof = { 'x-forwarded-for': '6.6.6.6', forwarded: 'for=6.6.6.6' };
    expect(await send('/spoof', spoof)).toBe(200);
    expect(await recordedIp('/spoof')).toBe('127.0.0.1');
    const seen = upstream.seen.at(-1);
    expect(seen?.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen?.headers.forwarded).toBe('for=127.0.0.1');
  });

  it('behind a trusted proxy writing X-Forwarded-For, ignores a client-written Forwarded, towards the upstream too', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href, trustProxy: 'loopback' });
    const headers = { 'x-forwarded-for': '198.51.100.7, 2001:db8::9', forwarded: 'for=6.6.6.6' };
    expect(await send('/xff', headers)).toBe(200);
    expect(await recordedIp('/xff')).toBe('2001:db8::9');
    // The upstream gets the chain the proxy vouched for in both headers, the client's Forwarded in neither.
    const seen = upstream.seen.at(-1)?.headers;
    expect(seen?.['x-forwarded-for']).toBe('198.51.100.7, 2001:db8::9, 127.0.0.1');
    expect(seen?.forwarded).toBe('for=198.51.100.7, for="[2001:db8::9]", for=127.0.0.1');
  });

  it('with --forwarded-header forwarded, reads RFC 7239 for= (IPv4 port, IPv6 brackets) and enforces blocks on it', async () => {
    app = await startTestAppliance({
      upstream: upstream.url.href,
      trustProxy: 'loopback',
      forwardedHeader: 'forwarded',
    });
    const block = await app.admin('/api/blocks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target: '2001:db8::/32' }),
    });
    expect(block.status).toBe(201);
    const v4 = {
      forwarded: 'for=6.6.6.6, For="198.51.100.8:8080";proto=https',
      'x-forwarded-for': '7.7.7.7',
    };
    expect(await send('/fwd-v4', v4)).toBe(200);
    // The client-written X-Forwarded-For never reaches the upstream: it gets the Forwarded chain in both.
    const seen = upstream.seen.at(-1)?.headers;
    expect(seen?.['x-forwarded-for']).toBe('6.6.6.6, 198.51.100.8, 127.0.0.1');
    expect(seen?.forwarded).toBe('for=6.6.6.6, For="198.51.100.8:8080";proto=https, for=127.0.0.1');
    expect(await send('/fwd-v6', { forwarded: 'for="[2001:DB8::1]:4711"' })).toBe(403);
    expect(await send('/fwd-hidden', { forwarded: 'for=6.6.6.6, for=_hidden' })).toBe(200);
    expect(await recordedIp('/fwd-v4')).toBe('198.51.100.8');
    expect(await recordedIp('/fwd-v6')).toBe('2001:db8::1');
    expect(await recordedIp('/fwd-hidden')).toBe('127.0.0.1');
  });

  it("refuses a request padded to the header-line limit (431): the proxy's own line could be the one dropped", async () => {
    app = await startTestAppliance({ upstream: upstream.url.href, trustProxy: 'loopback' });
    const { hostname, port } = new URL(app.addresses.proxyUrl);
    const send = (fillers: number) =>
      new Promise<number>((resolve, reject) => {
        const headers: Record<string, string | string[]> = {};
        for (let i = 0; i < fillers; i++) headers[`a${i}`] = 'x';
        // The client's own line, then the one a trusted proxy appended, after the padding.
        headers['x-forwarded-for'] = ['10.9.9.9', '203.0.113.66'];
        const req = http.request({ hostname, port, path: '/padded', headers, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
    expect(await send(150)).toBe(200);
    expect(await recordedIp('/padded')).toBe('203.0.113.66');
    // 197 fillers, the two forwarding lines, Host and Connection: 201 lines, one past the limit.
    expect(await send(197)).toBe(431);
    const records = (await allRecords(app as TestAppliance)).filter((r) => r.url.path === '/padded');
    expect(records.map((r) => [r.source.ip, r.http.response.status_code])).toEqual([
      ['203.0.113.66', 200],
      ['127.0.0.1', 431],
    ]);
  });

  it('drops forwarding headers spelled with underscores, which CGI-style sites read as the real ones', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href });
    expect(await send('/underscored', { x_forwarded_for: '6.6.6.6', X_Forwarded_Proto: 'https' })).toBe(200);
    const seen = upstream.seen.at(-1)?.headers ?? {};
    expect(Object.keys(seen).filter((name) => name.includes('_'))).toEqual([]);
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('survives garbage, overlong and many-hop headers and never picks the far-left address', async () => {
    app = await startTestAppliance({ upstream: upstream.url.href, trustProxy: 'loopback' });
    const manyHops = `6.6.6.6, ${Array.from({ length: 1_200 }, () => '127.0.0.1').join(', ')}`;
    const cases: [string, Record<string, string>][] = [
      ['/g-long', { 'x-forwarded-for': `6.6.6.6, ${'9'.repeat(14_000)}` }],
      ['/g-hops', { 'x-forwarded-for': manyHops }],
      ['/g-bytes', { 'x-forwarded-for': '6.6.6.6, \u00ff\u00fe[:::]:::, ,,' }],
      ['/g-brackets', { 'x-forwarded-for': '6.6.6.6, [[::1]]:80' }],
    ];
    for (const [path, headers] of cases) expect(await send(path, headers), path).toBe(200);
    for (const [path] of cases) expect(await recordedIp(path), path).toBe('127.0.0.1');
  });
});
