import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCidr, tryParseAddress } from '../../../server/net/index.js';
import { createClientIpResolver } from '../../../server/proxy/client-ip.js';
import {
  forwardedElement,
  forwardedElementFor,
  forwardedHeaderList,
  forwardedNode,
  headerHops,
  MAX_HOPS,
} from '../../../server/proxy/forwarding-headers.js';

const LOOPBACK = ['127.0.0.0/8', '::1'].map((c) => parseCidr(c));
const viaForwarded = (...cidrs: string[]) =>
  createClientIpResolver([...LOOPBACK, ...cidrs.map((c) => parseCidr(c))], 'forwarded');

describe('forwardedNode (RFC 7239 §6)', () => {
  it('reads IPv4, IPv4 with a port, bracketed IPv6 with or without a port', () => {
    expect(forwardedNode('192.0.2.60')).toBe('192.0.2.60');
    expect(forwardedNode('192.0.2.60:8080')).toBe('192.0.2.60');
    expect(forwardedNode('[2001:db8::1]')).toBe('2001:db8::1');
    expect(forwardedNode('[2001:db8::1]:4711')).toBe('2001:db8::1');
    expect(forwardedNode('[2001:DB8:0::1]:_port')).toBe('2001:db8::1');
    expect(forwardedNode('192.0.2.60:_abc')).toBe('192.0.2.60');
  });

  it('unwraps IPv4-mapped IPv6', () => {
    expect(forwardedNode('[::ffff:192.0.2.60]:80')).toBe('192.0.2.60');
  });

  it('names no address for unknown, obfuscated and malformed nodes', () => {
    for (const node of [
      'unknown',
      '_hidden',
      '_SEVKISEK',
      '2001:db8::1', // IPv6 must be bracketed
      '[2001:db8::1',
      '[192.0.2.1]',
      '192.0.2.60:99999',
      '192.0.2.60:',
      '192.0.2.60:8080:1',
      '[2001:db8::1]x',
      '[2001:db8::1%eth0]',
      '300.1.1.1',
      '',
    ]) {
      expect(forwardedNode(node), node).toBeNull();
    }
  });
});

describe('forwardedElementFor', () => {
  it('finds for= among other parameters, case-insensitively, quoted or not', () => {
    expect(forwardedElementFor('for=192.0.2.43')).toBe('192.0.2.43');
    expect(forwardedElementFor(' For="[2001:db8:cafe::17]:4711";proto=http;by=203.0.113.43')).toBe(
      '2001:db8:cafe::17',
    );
    expect(forwardedElementFor('proto=https; FOR = "192.0.2.60:8080" ')).toBe('192.0.2.60');
    expect(forwardedElementFor('for="\\192.0.2.1"')).toBe('192.0.2.1'); // a quoted-pair
    expect(forwardedElementFor('for=192.0.2.1;')).toBe('192.0.2.1');
  });

  it('is malformed without for=, with two for=, a bad quoted-string or a bad pair', () => {
    for (const element of [
      'by=203.0.113.43',
      'for=192.0.2.1;for=198.51.100.1',
      'for="192.0.2.1',
      'for=192.0.2.1"',
      'for="192.0.2.1"x"',
      'for="192.0.2.1\\"',
      'for',
      '=192.0.2.1',
      'for=192 .0.2.1',
      '',
      '   ',
    ]) {
      expect(forwardedElementFor(element), element).toBeNull();
    }
  });
});

describe('createClientIpResolver reading Forwarded', () => {
  const resolve = viaForwarded('10.0.0.0/8');

  it('takes the right-most untrusted for= from a trusted peer', () => {
    expect(resolve('127.0.0.1', 'for=192.0.2.43')).toEqual({
      client: '192.0.2.43',
      peer: '127.0.0.1',
      peerTrusted: true,
    });
    expect(resolve('127.0.0.1', 'for=6.6.6.6, for=192.0.2.43;proto=https, for=10.0.0.2').client).toBe(
      '192.0.2.43',
    );
    expect(resolve('::1', 'for="[2001:db8::1]:4711"').client).toBe('2001:db8::1');
    expect(resolve('::ffff:127.0.0.1', 'for="[::ffff:192.0.2.9]"').client).toBe('192.0.2.9');
  });

  it('reads repeated header lines (joined by Node with ", ") as one list', () => {
    expect(resolve('127.0.0.1', 'for=6.6.6.6, for=192.0.2.60').client).toBe('192.0.2.60');
  });

  it('stops at unknown or an obfuscated identifier: the last trusted hop is the client', () => {
    expect(resolve('127.0.0.1', 'for=6.6.6.6, for=unknown').client).toBe('127.0.0.1');
    expect(resolve('127.0.0.1', 'for=6.6.6.6, for=_hidden, for=10.0.0.2').client).toBe('10.0.0.2');
    expect(resolve('127.0.0.1', 'for=6.6.6.6, by=10.0.0.9').client).toBe('127.0.0.1');
  });

  it('stops at garbage, so the attacker cannot choose the address to its left', () => {
    expect(resolve('127.0.0.1', 'for=6.6.6.6, for="[2001:db8::1"').client).toBe('127.0.0.1');
    expect(resolve('127.0.0.1', 'for=6.6.6.6, for="1.2.3.4, 5.6.7.8"').client).toBe('127.0.0.1');
    expect(resolve('127.0.0.1', 'for=6.6.6.6;for=7.7.7.7').client).toBe('127.0.0.1');
  });

  it('ignores Forwarded from an untrusted peer and X-Forwarded-For syntax in it', () => {
    expect(resolve('198.51.100.1', 'for=192.0.2.43').client).toBe('198.51.100.1');
    expect(resolve('127.0.0.1', '192.0.2.43').client).toBe('127.0.0.1');
  });

  it('does bounded work on a 100k header and 10,000 hops', () => {
    const noise = 'for="'.repeat(20_000);
    expect(resolve('127.0.0.1', `${noise}, for=192.0.2.43`).client).toBe('192.0.2.43');
    const hops = Array.from({ length: 10_000 }, () => 'for=10.0.0.2').join(', ');
    expect(headerHops('forwarded', `for=6.6.6.6, ${hops}`)).toHaveLength(MAX_HOPS);
    expect(resolve('127.0.0.1', `for=6.6.6.6, ${hops}`).client).toBe('10.0.0.2');
  });
});

describe('forwardedElement', () => {
  it('writes what forwardedElementFor reads back', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
        const canonical = tryParseAddress(ip)?.text as string;
        expect(forwardedElementFor(forwardedElement(canonical))).toBe(canonical);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('Forwarded fuzzing', () => {
  const node = fc.oneof(
    fc.ipV4(),
    fc.ipV4().map((ip) => `"${ip}:${ip.length * 97}"`),
    fc.ipV6().map((ip) => `"[${ip}]"`),
    fc.ipV6().map((ip) => `"[${ip}]:4711"`),
    fc.constantFrom('unknown', '_hidden', '127.0.0.1', '"[::1]"', '10.0.0.1', '"', '[', ''),
    fc.string({ maxLength: 12 }),
  );
  const element = fc
    .tuple(
      fc.constantFrom('for', 'For', 'FOR', 'by'),
      node,
      fc.constantFrom('', ';proto=https', ';by=10.0.0.1', ';FOR=1.2.3.4', ';x="a,b"'),
    )
    .map(([name, n, rest]) => `${name}=${n}${rest}`);
  const header = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.array(element, { maxLength: 40 }).map((elements) => elements.join(', ')),
  );

  it('an untrusted peer always resolves to itself', () => {
    const resolve = viaForwarded();
    fc.assert(
      fc.property(fc.ipV4(), header, (peer, value) => {
        const canonical = tryParseAddress(peer)?.text as string;
        fc.pre(!canonical.startsWith('127.'));
        expect(resolve(canonical, value)).toEqual({ client: canonical, peer: canonical, peerTrusted: false });
      }),
      { numRuns: 3000 },
    );
  });

  it('a trusted peer resolves to itself or to an address a for= in the header names', () => {
    const resolve = viaForwarded('10.0.0.0/8');
    fc.assert(
      fc.property(fc.constantFrom('127.0.0.1', '::1', '10.9.8.7'), header, (peer, value) => {
        const { client, peerTrusted } = resolve(peer, value);
        expect(peerTrusted).toBe(true);
        if (client === peer) return;
        const named = value.split(',').map((e) => forwardedElementFor(e));
        expect(named).toContain(client);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('forwardedHeaderList: the other header is written from the one read', () => {
  const pairs = (list: string[]) => {
    const out: Record<string, string> = {};
    for (let i = 0; i < list.length; i += 2) out[list[i] as string] = list[i + 1] as string;
    return out;
  };

  it('in X-Forwarded-For mode, drops a client-written Forwarded and writes the chain as for= elements', () => {
    const incoming = {
      host: 'site',
      'x-forwarded-for': '203.0.113.9, junk, 2001:db8::1',
      forwarded: 'for=6.6.6.6',
    };
    const out = pairs(forwardedHeaderList(incoming, '127.0.0.1', true, 'up', 'x-forwarded-for'));
    expect(out['x-forwarded-for']).toBe('203.0.113.9, junk, 2001:db8::1, 127.0.0.1');
    expect(out.forwarded).toBe('for=203.0.113.9, for=unknown, for="[2001:db8::1]", for=127.0.0.1');
  });

  it('in Forwarded mode, drops a client-written X-Forwarded-For and writes the for= nodes as addresses', () => {
    const incoming = {
      host: 'site',
      forwarded: 'for=_hidden, for="[2001:db8::1]:443";proto=https',
      'x-forwarded-for': '7.7.7.7',
    };
    const out = pairs(forwardedHeaderList(incoming, '127.0.0.1', true, 'up', 'forwarded'));
    expect(out['x-forwarded-for']).toBe('unknown, 2001:db8::1, 127.0.0.1');
    expect(out.forwarded).toBe('for=_hidden, for="[2001:db8::1]:443";proto=https, for=127.0.0.1');
  });

  it('from an untrusted peer, both name the peer alone', () => {
    const incoming = { host: 'site', forwarded: 'for=6.6.6.6', 'x-forwarded-for': '7.7.7.7' };
    for (const mode of ['x-forwarded-for', 'forwarded'] as const) {
      const out = pairs(forwardedHeaderList(incoming, '2001:db8::5', false, 'up', mode));
      expect(out['x-forwarded-for']).toBe('2001:db8::5');
      expect(out.forwarded).toBe('for="[2001:db8::5]"');
    }
  });
});
