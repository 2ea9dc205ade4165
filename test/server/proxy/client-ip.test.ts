import fc from 'fast-check';
import type { Context } from 'koa';
import { describe, expect, it } from 'vitest';
import { parseCidr, tryParseAddress } from '../../../server/net/index.js';
import { clientIp, createClientIpResolver, normaliseSocketAddress } from '../../../server/proxy/client-ip.js';

const trusting = (...cidrs: string[]) => createClientIpResolver(cidrs.map((c) => parseCidr(c)));
const LOOPBACK = ['127.0.0.0/8', '::1'];

describe('createClientIpResolver without trusted proxies', () => {
  const resolve = trusting();

  it('always answers the socket peer and ignores a spoofed X-Forwarded-For', () => {
    expect(resolve('203.0.113.9', '1.1.1.1')).toEqual({
      client: '203.0.113.9',
      peer: '203.0.113.9',
      peerTrusted: false,
    });
    expect(resolve('127.0.0.1', '8.8.8.8, 9.9.9.9').client).toBe('127.0.0.1');
  });

  it('normalises an IPv4-mapped peer', () => {
    expect(resolve('::ffff:203.0.113.9', undefined).client).toBe('203.0.113.9');
  });

  it('answers 0.0.0.0 when the socket has no address (already closed)', () => {
    expect(resolve(undefined, '1.2.3.4').client).toBe('0.0.0.0');
  });
});

describe('createClientIpResolver behind trusted proxies', () => {
  const resolve = trusting(...LOOPBACK);

  it('takes the right-most X-Forwarded-For hop from a trusted peer', () => {
    expect(resolve('127.0.0.1', '203.0.113.9')).toEqual({
      client: '203.0.113.9',
      peer: '127.0.0.1',
      peerTrusted: true,
    });
    expect(resolve('::1', '203.0.113.9').client).toBe('203.0.113.9');
  });

  it('ignores what the client wrote to the left of the address the proxy appended', () => {
    expect(resolve('127.0.0.1', '6.6.6.6, 203.0.113.9').client).toBe('203.0.113.9');
    expect(resolve('127.0.0.1', '6.6.6.6,203.0.113.9').client).toBe('203.0.113.9');
  });

  it('answers the peer when a trusted peer sends no or an empty header', () => {
    expect(resolve('127.0.0.1', undefined)).toEqual({
      client: '127.0.0.1',
      peer: '127.0.0.1',
      peerTrusted: true,
    });
    expect(resolve('127.0.0.1', '').client).toBe('127.0.0.1');
  });

  it('walks past a chain of trusted proxies to the first untrusted hop', () => {
    const chain = trusting('127.0.0.0/8', '10.0.0.0/8', '2001:db8:ffff::/48');
    expect(chain('127.0.0.1', '6.6.6.6, 203.0.113.9, 10.0.0.2, 10.0.0.1').client).toBe('203.0.113.9');
    expect(chain('127.0.0.1', '2001:db8::7, 2001:db8:ffff::1').client).toBe('2001:db8::7');
  });

  it('answers the left-most hop when every hop is a trusted proxy', () => {
    const chain = trusting('10.0.0.0/8');
    expect(chain('10.0.0.1', '10.0.0.3, 10.0.0.2').client).toBe('10.0.0.3');
  });

  it('stops at a garbage hop, so the attacker cannot choose the address to its left', () => {
    const chain = trusting('127.0.0.0/8', '10.0.0.0/8');
    expect(chain('127.0.0.1', '6.6.6.6, garbage').client).toBe('127.0.0.1');
    expect(chain('127.0.0.1', '6.6.6.6, , 10.0.0.2').client).toBe('10.0.0.2');
    expect(chain('127.0.0.1', '6.6.6.6, 01.2.3.4, 10.0.0.2').client).toBe('10.0.0.2');
    expect(chain('127.0.0.1', '6.6.6.6, unknown').client).toBe('127.0.0.1');
    expect(chain('127.0.0.1', '6.6.6.6, [::1').client).toBe('127.0.0.1');
  });

  it('accepts hops with ports and brackets', () => {
    expect(resolve('127.0.0.1', '[2001:db8::1]:443').client).toBe('2001:db8::1');
    expect(resolve('127.0.0.1', '[2001:db8::1]').client).toBe('2001:db8::1');
    expect(resolve('127.0.0.1', '1.2.3.4:8080').client).toBe('1.2.3.4');
    expect(resolve('127.0.0.1', '  1.2.3.4  ').client).toBe('1.2.3.4');
  });

  it('gives canonical text for the client whatever the hop spelling', () => {
    expect(resolve('127.0.0.1', '2001:DB8:0:0::1').client).toBe('2001:db8::1');
    expect(resolve('127.0.0.1', '::ffff:198.51.100.1').client).toBe('198.51.100.1');
  });

  it('trusts an IPv4-mapped loopback peer (dual-stack listener)', () => {
    expect(resolve('::ffff:127.0.0.1', '203.0.113.9')).toEqual({
      client: '203.0.113.9',
      peer: '127.0.0.1',
      peerTrusted: true,
    });
  });

  it('reports an untrusted peer that sends X-Forwarded-For and answers the peer', () => {
    expect(resolve('198.51.100.1', '203.0.113.9')).toEqual({
      client: '198.51.100.1',
      peer: '198.51.100.1',
      peerTrusted: false,
    });
  });

  it('survives a 100k-character header and picks the client from the right', () => {
    const noise = 'x'.repeat(100_000);
    expect(resolve('127.0.0.1', `${noise}, 203.0.113.9`).client).toBe('203.0.113.9');
    const hops = Array.from({ length: 10_000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`).join(', ');
    expect(resolve('127.0.0.1', `${hops}, 203.0.113.9`).client).toBe('203.0.113.9');
  });

  it('survives 1000 hops of trusted proxies without reaching the attacker on the far left', () => {
    const chain = trusting('127.0.0.0/8', '10.0.0.0/8');
    const trustedHops = Array.from({ length: 1000 }, () => '10.0.0.2').join(',');
    const result = chain('127.0.0.1', `6.6.6.6,${trustedHops}`);
    expect(result.client).toBe('10.0.0.2');
    expect(result.peerTrusted).toBe(true);
  });
});

describe('createClientIpResolver fuzzing', () => {
  const hop = fc.oneof(
    fc.ipV4(),
    fc.ipV6(),
    fc.constantFrom('127.0.0.1', '::1', '10.0.0.1', '[2001:db8::1]:443', '1.2.3.4:80', 'unknown', '', ' '),
    fc.string({ maxLength: 12 }),
  );
  const header = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.array(hop, { maxLength: 40 }).map((hops) => hops.join(',')),
  );

  it('an untrusted peer always resolves to itself', () => {
    const resolve = trusting(...LOOPBACK);
    fc.assert(
      fc.property(fc.ipV4(), header, (peer, xff) => {
        const canonical = tryParseAddress(peer)?.text;
        fc.pre(canonical !== undefined && !canonical.startsWith('127.'));
        expect(resolve(canonical, xff)).toEqual({ client: canonical, peer: canonical, peerTrusted: false });
      }),
      { numRuns: 2000 },
    );
  });

  it('a trusted peer resolves to itself or to an address written in the header (canonicalised)', () => {
    const resolve = trusting(...LOOPBACK, '10.0.0.0/8');
    fc.assert(
      fc.property(fc.constantFrom('127.0.0.1', '::1', '10.9.8.7'), header, (peer, xff) => {
        const { client, peerTrusted } = resolve(peer, xff);
        expect(peerTrusted).toBe(true);
        if (client === peer) return;
        const written = xff.split(',').map((h) =>
          h
            .trim()
            .replace(/^\[([^\]]*)\].*$/, '$1')
            .replace(/^([^:]*):\d*$/, '$1'),
        );
        expect(written.map((h) => tryParseAddress(h)?.text)).toContain(client);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('normaliseSocketAddress', () => {
  it('unwraps IPv4-mapped IPv6 and leaves other addresses alone', () => {
    expect(normaliseSocketAddress('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(normaliseSocketAddress('10.1.2.3')).toBe('10.1.2.3');
    expect(normaliseSocketAddress('::1')).toBe('::1');
    expect(normaliseSocketAddress('::ffff:a01:203')).toBe('::ffff:a01:203');
    expect(normaliseSocketAddress('')).toBe('0.0.0.0');
  });
});

describe('clientIp step', () => {
  it('puts the resolved addresses on ctx.state and passes the request on', () => {
    const ctx = {
      req: {
        socket: { remoteAddress: '::ffff:127.0.0.1' },
        headers: { 'x-forwarded-for': '203.0.113.9' },
        rawHeaders: ['X-Forwarded-For', '203.0.113.9'],
      },
      state: {} as Record<string, unknown>,
    };
    expect(
      clientIp(() => ({ resolve: trusting(...LOOPBACK), header: 'x-forwarded-for' }))(
        ctx as unknown as Context,
      ),
    ).toBe(true);
    expect(ctx.state).toEqual({ clientIp: '203.0.113.9', peer: '127.0.0.1', peerTrusted: true });
  });
});
