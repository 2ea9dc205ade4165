import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, envName, loadConfig, parseDuration, parseIsoTime } from '../../server/config.js';
import { makeTempDir } from './helpers/temp-dir.js';

let cwd: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir: cwd, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

const writeJson = (name: string, value: unknown) => writeFile(path.join(cwd, name), JSON.stringify(value));

/** The ConfigError message `loadConfig` throws for these options (fails the test when it does not throw). */
function configErrorOf(options: Parameters<typeof loadConfig>[0]): string {
  try {
    loadConfig(options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

describe('loadConfig defaults', () => {
  it('gives the documented defaults when nothing is set', () => {
    const config = loadConfig({ env: {}, cwd });
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.admin).toEqual({ host: '127.0.0.1', port: 8081 });
    expect(config.dataDir).toBe(path.join(cwd, 'data'));
    expect(config.trustProxy).toEqual([]);
    expect(config.redisPrefix).toBe('ipwarden:');
    expect(config.redisFailure).toBe('open');
    expect(config.upstreamTimeout).toBe(30_000);
    expect(config.flushInterval).toBe(1_000);
    expect(config.sessionCookie).toBe('sessionid');
    expect(config.sessionTtl).toBe(14 * 86_400_000);
    expect(config.rateLimitIpv6Prefix).toBe(64);
    expect(config.logLevel).toBe('info');
    expect(config.upstream).toBeUndefined();
    expect(config.redis).toBeUndefined();
    expect(config.geoip).toBeUndefined();
    expect(config.configFile).toBeNull();
  });

  it('limits login to 5/min anonymous and 10/min authenticated POSTs by default', () => {
    expect(loadConfig({ env: {}, cwd }).rateLimits).toEqual([
      {
        name: 'login',
        paths: ['/login', '/api/login/'],
        methods: ['POST'],
        anonymous: { max: 5, period: 60_000 },
        authenticated: { max: 10, period: 60_000 },
      },
    ]);
  });

  it('does not share default objects between loads', () => {
    const first = loadConfig({ env: {}, cwd });
    first.rateLimits[0]?.paths.push('/mutated');
    expect(loadConfig({ env: {}, cwd }).rateLimits[0]?.paths).toEqual(['/login', '/api/login/']);
  });
});

describe('loadConfig precedence', () => {
  it('flags beat the environment, which beats the config file, which beats defaults', async () => {
    await writeJson('ipwarden.config.json', {
      listen: '127.0.0.1:1001',
      admin: '127.0.0.1:2001',
      logLevel: 'warn',
    });
    const env = { IPWARDEN_LISTEN: '127.0.0.1:1002', IPWARDEN_ADMIN: '127.0.0.1:2002' };
    const config = loadConfig({ env, cwd, flags: { listen: '127.0.0.1:1003' } });
    expect(config.listen.port).toBe(1003);
    expect(config.admin.port).toBe(2002);
    expect(config.logLevel).toBe('warn');
    expect(config.flushInterval).toBe(1_000);
    expect(config.configFile).toBe(path.join(cwd, 'ipwarden.config.json'));
  });

  it('reads every option from its IPWARDEN_ variable', () => {
    const config = loadConfig({
      cwd,
      env: {
        IPWARDEN_UPSTREAM: 'http://127.0.0.1:3000',
        IPWARDEN_LISTEN: '[::1]:9000',
        IPWARDEN_ADMIN: 'localhost:9001',
        IPWARDEN_DATA_DIR: 'var/ipw',
        IPWARDEN_TRUST_PROXY: '10.0.0.0/8, 192.0.2.1',
        IPWARDEN_GEOIP: 'geo/city.mmdb',
        IPWARDEN_REDIS: 'redis://127.0.0.1:6379/2',
        IPWARDEN_REDIS_PREFIX: 'shop:',
        IPWARDEN_REDIS_FAILURE: 'closed',
        IPWARDEN_UPSTREAM_TIMEOUT: '5s',
        IPWARDEN_FLUSH_INTERVAL: '250',
        IPWARDEN_SESSION_COOKIE: '__Host-sid',
        IPWARDEN_SESSION_TTL: '2h',
        IPWARDEN_RATE_LIMIT_IPV6_PREFIX: '56',
        IPWARDEN_LOG_LEVEL: 'debug',
      },
    });
    expect(config.upstream).toBe('http://127.0.0.1:3000');
    expect(config.listen).toEqual({ host: '::1', port: 9000 });
    expect(config.admin).toEqual({ host: 'localhost', port: 9001 });
    expect(config.dataDir).toBe(path.join(cwd, 'var', 'ipw'));
    expect(config.trustProxy.map((c) => c.text)).toEqual(['10.0.0.0/8', '192.0.2.1']);
    expect(config.geoip).toBe(path.join(cwd, 'geo', 'city.mmdb'));
    expect(config.redis).toBe('redis://127.0.0.1:6379/2');
    expect(config.redisPrefix).toBe('shop:');
    expect(config.redisFailure).toBe('closed');
    expect(config.upstreamTimeout).toBe(5_000);
    expect(config.flushInterval).toBe(250);
    expect(config.sessionCookie).toBe('__Host-sid');
    expect(config.sessionTtl).toBe(7_200_000);
    expect(config.rateLimitIpv6Prefix).toBe(56);
    expect(config.logLevel).toBe('debug');
  });

  it('names each variable IPWARDEN_ plus the option in upper snake case', () => {
    expect(envName('dataDir')).toBe('IPWARDEN_DATA_DIR');
    expect(envName('upstreamTimeout')).toBe('IPWARDEN_UPSTREAM_TIMEOUT');
    expect(envName('listen')).toBe('IPWARDEN_LISTEN');
  });

  it('ignores empty environment variables and undefined or unknown flags', () => {
    const config = loadConfig({
      cwd,
      env: { IPWARDEN_LISTEN: '' },
      flags: { admin: undefined, verbose: true, rateLimits: 'nonsense' },
    });
    expect(config.listen.port).toBe(8080);
    expect(config.admin.port).toBe(8081);
    expect(config.rateLimits[0]?.name).toBe('login');
  });

  it('never reads process.env when env is given', () => {
    const saved = process.env.IPWARDEN_LISTEN;
    process.env.IPWARDEN_LISTEN = '127.0.0.1:1';
    try {
      expect(loadConfig({ env: {}, cwd }).listen.port).toBe(8080);
    } finally {
      if (saved === undefined) delete process.env.IPWARDEN_LISTEN;
      else process.env.IPWARDEN_LISTEN = saved;
    }
  });

  it('resolves dataDir and geoip against cwd, leaving absolute paths alone', () => {
    const absolute = path.join(cwd, 'elsewhere');
    const config = loadConfig({ env: {}, cwd, flags: { dataDir: absolute, geoip: './g.mmdb' } });
    expect(config.dataDir).toBe(absolute);
    expect(config.geoip).toBe(path.join(cwd, 'g.mmdb'));
  });
});

describe('loadConfig config file', () => {
  it('reads an explicit file (relative to cwd) even when ipwarden.config.json exists', async () => {
    await writeJson('ipwarden.config.json', { logLevel: 'warn' });
    await writeJson('other.json', { logLevel: 'error', rateLimits: [] });
    const config = loadConfig({ env: {}, cwd, configFile: 'other.json' });
    expect(config.logLevel).toBe('error');
    expect(config.rateLimits).toEqual([]);
    expect(config.configFile).toBe(path.join(cwd, 'other.json'));
  });

  it('takes the file from IPWARDEN_CONFIG', async () => {
    await writeJson('env.json', { logLevel: 'trace' });
    expect(loadConfig({ env: { IPWARDEN_CONFIG: 'env.json' }, cwd }).logLevel).toBe('trace');
  });

  it('reads rate-limit rules with durations, upper-cased methods and POST by default', async () => {
    await writeJson('ipwarden.config.json', {
      rateLimits: [
        {
          name: 'search',
          paths: ['/search', '/api/**'],
          methods: ['get', 'Post'],
          anonymous: { max: 30, period: '10s' },
        },
        { name: 'signup', paths: ['/signup'], anonymous: { max: 3, period: 3_600_000 } },
      ],
    });
    const [search, signup] = loadConfig({ env: {}, cwd }).rateLimits;
    expect(search).toEqual({
      name: 'search',
      paths: ['/search', '/api/**'],
      methods: ['GET', 'POST'],
      anonymous: { max: 30, period: 10_000 },
    });
    expect(signup?.methods).toEqual(['POST']);
    expect(signup?.anonymous.period).toBe(3_600_000);
  });

  it('refuses a missing explicit file, naming it', () => {
    const message = configErrorOf({ env: {}, cwd, configFile: 'missing.json' });
    expect(message).toContain(path.join(cwd, 'missing.json'));
    expect(message).toContain('ENOENT');
  });

  it('refuses invalid JSON, naming the file', async () => {
    await writeFile(path.join(cwd, 'ipwarden.config.json'), '{ "listen": ');
    const message = configErrorOf({ env: {}, cwd });
    expect(message).toContain(path.join(cwd, 'ipwarden.config.json'));
    expect(message).toMatch(/not valid JSON/);
  });

  it.each([[[]], ['text'], [null], [42]])('refuses a file holding %j instead of an object', async (value) => {
    await writeJson('ipwarden.config.json', value);
    expect(configErrorOf({ env: {}, cwd })).toContain('must hold a JSON object');
  });

  it('refuses an unknown top-level key, naming the key and the file', async () => {
    await writeJson('ipwarden.config.json', { listne: '0.0.0.0:80' });
    const message = configErrorOf({ env: {}, cwd });
    expect(message).toContain('listne');
    expect(message).toContain(`from config file ${path.join(cwd, 'ipwarden.config.json')}`);
  });

  it('refuses a __proto__ key as unknown instead of letting it replace the prototype', async () => {
    await writeFile(path.join(cwd, 'ipwarden.config.json'), '{"__proto__": {"listen": "1.2.3.4:5"}}');
    expect(configErrorOf({ env: {}, cwd })).toContain('__proto__ (from config file');
  });

  it('refuses an unknown key inside a rule, naming the rule and the file', async () => {
    await writeJson('ipwarden.config.json', {
      rateLimits: [{ name: 'x', paths: ['/x'], anonymous: { max: 1, period: '1m' }, burst: 3 }],
    });
    const message = configErrorOf({ env: {}, cwd });
    expect(message).toContain('rateLimits.0');
    expect(message).toContain('burst');
    expect(message).toContain(path.join(cwd, 'ipwarden.config.json'));
  });

  it('refuses a rule path that is not a path pattern', async () => {
    await writeJson('ipwarden.config.json', {
      rateLimits: [{ name: 'x', paths: ['login'], anonymous: { max: 1, period: '1m' } }],
    });
    expect(configErrorOf({ env: {}, cwd })).toMatch(/rateLimits\.0\.paths .*must start with "\/"/);
  });
});

describe('loadConfig trustProxy', () => {
  it('expands loopback to 127.0.0.0/8 and ::1', () => {
    const config = loadConfig({ env: {}, cwd, flags: { trustProxy: 'loopback' } });
    expect(config.trustProxy.map((c) => c.text)).toEqual(['127.0.0.0/8', '::1']);
  });

  it('accepts a list, a comma-separated string, and canonicalises ranges', () => {
    expect(
      loadConfig({ env: {}, cwd, flags: { trustProxy: ['loopback', '10.1.2.3/8'] } }).trustProxy.map(
        (c) => c.text,
      ),
    ).toEqual(['127.0.0.0/8', '::1', '10.0.0.0/8']);
    expect(
      loadConfig({ env: { IPWARDEN_TRUST_PROXY: ' 2001:DB8::/32 ,, 192.0.2.1 ' }, cwd }).trustProxy.map(
        (c) => c.text,
      ),
    ).toEqual(['2001:db8::/32', '192.0.2.1']);
  });

  it('refuses a bad range, naming the field, the source and the value', () => {
    const message = configErrorOf({ env: {}, cwd, flags: { trustProxy: 'loopback,10.0.0.0/33' } });
    expect(message).toContain('trustProxy (from --trust-proxy)');
    expect(message).toContain('10.0.0.0/33');
  });
});

describe('loadConfig client timeouts, forwarding header and admin hosts', () => {
  it('defaults to 10s headers, 120s request, 5s idle, X-Forwarded-For and no extra admin hosts', () => {
    const config = loadConfig({ env: {}, cwd });
    expect([config.headersTimeout, config.requestTimeout, config.idleTimeout]).toEqual([
      10_000, 120_000, 5_000,
    ]);
    expect(config.forwardedHeader).toBe('x-forwarded-for');
    expect(config.adminHosts).toEqual([]);
  });

  it('reads the timeouts as durations from flags, env and file', async () => {
    await writeJson('ipwarden.config.json', { idleTimeout: 2500 });
    const config = loadConfig({
      cwd,
      env: { IPWARDEN_HEADERS_TIMEOUT: '3s', IPWARDEN_FORWARDED_HEADER: 'forwarded' },
      flags: { requestTimeout: '1m', adminHosts: 'ipwarden.lan, Admin.Example' },
    });
    expect([config.headersTimeout, config.requestTimeout, config.idleTimeout]).toEqual([
      3_000, 60_000, 2_500,
    ]);
    expect(config.forwardedHeader).toBe('forwarded');
    expect(config.adminHosts).toEqual(['ipwarden.lan', 'Admin.Example']);
  });

  it('refuses a headers timeout longer than the request timeout, naming both', () => {
    const message = configErrorOf({ env: {}, cwd, flags: { headersTimeout: '2m', requestTimeout: '1m' } });
    expect(message).toContain('headersTimeout (from --headers-timeout)');
    expect(message).toContain('requestTimeout (60000 ms)');
  });
});

describe('loadConfig errors name the field and where it came from', () => {
  it.each([
    [{ IPWARDEN_LISTEN: '8080' }, 'listen (from IPWARDEN_LISTEN)', 'HOST:PORT'],
    [{ IPWARDEN_LISTEN: '0.0.0.0:65536' }, 'listen (from IPWARDEN_LISTEN)', '65536'],
    [{ IPWARDEN_ADMIN: '::1:8081' }, 'admin (from IPWARDEN_ADMIN)', 'HOST:PORT'],
    [{ IPWARDEN_UPSTREAM: 'ftp://x' }, 'upstream (from IPWARDEN_UPSTREAM)', 'http://'],
    [{ IPWARDEN_REDIS: 'http://x' }, 'redis (from IPWARDEN_REDIS)', 'redis://'],
    [{ IPWARDEN_REDIS_PREFIX: 'has space' }, 'redisPrefix (from IPWARDEN_REDIS_PREFIX)', ''],
    [{ IPWARDEN_REDIS_FAILURE: 'maybe' }, 'redisFailure (from IPWARDEN_REDIS_FAILURE)', '"open" or "closed"'],
    [
      { IPWARDEN_UPSTREAM_TIMEOUT: '5 minutes' },
      'upstreamTimeout (from IPWARDEN_UPSTREAM_TIMEOUT)',
      '5 minutes',
    ],
    [{ IPWARDEN_SESSION_TTL: '0' }, 'sessionTtl (from IPWARDEN_SESSION_TTL)', 'duration'],
    [{ IPWARDEN_SESSION_COOKIE: 'a b' }, 'sessionCookie (from IPWARDEN_SESSION_COOKIE)', 'cookie name'],
    [{ IPWARDEN_LOG_LEVEL: 'loud' }, 'logLevel (from IPWARDEN_LOG_LEVEL)', ''],
    [{ IPWARDEN_HEADERS_TIMEOUT: '0' }, 'headersTimeout (from IPWARDEN_HEADERS_TIMEOUT)', 'duration'],
    [{ IPWARDEN_REQUEST_TIMEOUT: 'soon' }, 'requestTimeout (from IPWARDEN_REQUEST_TIMEOUT)', '"soon"'],
    [{ IPWARDEN_IDLE_TIMEOUT: '-5s' }, 'idleTimeout (from IPWARDEN_IDLE_TIMEOUT)', '"-5s"'],
    [
      { IPWARDEN_FORWARDED_HEADER: 'x-real-ip' },
      'forwardedHeader (from IPWARDEN_FORWARDED_HEADER)',
      '"x-forwarded-for" or "forwarded"',
    ],
    [
      { IPWARDEN_RATE_LIMIT_IPV6_PREFIX: '/64' },
      'rateLimitIpv6Prefix (from IPWARDEN_RATE_LIMIT_IPV6_PREFIX)',
      'prefix length from 32 to 128',
    ],
    [
      { IPWARDEN_RATE_LIMIT_IPV6_PREFIX: '16' },
      'rateLimitIpv6Prefix (from IPWARDEN_RATE_LIMIT_IPV6_PREFIX)',
      'prefix length from 32 to 128',
    ],
    [
      { IPWARDEN_ADMIN_HOSTS: 'ok.lan, evil.com:80' },
      'adminHosts.1 (from IPWARDEN_ADMIN_HOSTS)',
      'host names',
    ],
  ])('env %j → %s', (env, named, expected) => {
    const message = configErrorOf({ env, cwd });
    expect(message).toContain(named);
    expect(message).toContain(expected);
  });

  it('names the flag, in its command-line spelling', () => {
    expect(configErrorOf({ env: {}, cwd, flags: { dataDir: '' } })).toContain('dataDir (from --data-dir)');
    expect(configErrorOf({ env: {}, cwd, flags: { flushInterval: '-1' } })).toContain(
      'flushInterval (from --flush-interval)',
    );
  });

  it('names the config file for a bad value found there', async () => {
    await writeJson('ipwarden.config.json', { upstreamTimeout: 0 });
    expect(configErrorOf({ env: {}, cwd })).toContain(
      `upstreamTimeout (from config file ${path.join(cwd, 'ipwarden.config.json')})`,
    );
  });

  it('refuses a retention under a day and a flag lifetime under an hour: a bare 90 is 90 ms, and would delete history', async () => {
    await writeJson('ipwarden.config.json', { detection: { retention: '90', flagTtl: 7 } });
    const message = configErrorOf({ env: {}, cwd });
    expect(message).toContain('detection.retention');
    expect(message).toContain('must be at least 1d (a number without a unit counts as milliseconds)');
    expect(message).toContain('detection.flagTtl');
    expect(message).toContain('must be at least 1h');
    await writeJson('ipwarden.config.json', { detection: { retention: '1d', flagTtl: '1h' } });
    expect(loadConfig({ env: {}, cwd }).detection).toMatchObject({
      retention: 86_400_000,
      flagTtl: 3_600_000,
    });
  });

  it('reports every bad field at once', () => {
    const message = configErrorOf({ env: { IPWARDEN_LISTEN: 'x', IPWARDEN_ADMIN: 'y' }, cwd });
    expect(message).toContain('listen (from IPWARDEN_LISTEN)');
    expect(message).toContain('admin (from IPWARDEN_ADMIN)');
  });

  it('a value fixed by a higher source no longer fails', async () => {
    await writeJson('ipwarden.config.json', { listen: 'broken' });
    expect(loadConfig({ env: { IPWARDEN_LISTEN: '127.0.0.1:1' }, cwd }).listen.port).toBe(1);
  });
});

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
    ['1500', 1500],
    [' 10 s ', 10_000],
    [60_000, 60_000],
  ])('%j → %i ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each([
    '',
    '0',
    '0s',
    '-1s',
    '1.5s',
    '1e3',
    '5M',
    '5 minutes',
    'm',
    's5',
    '1h30m',
    '9999999999999',
    '999999999999w',
  ])('refuses %j', (input) => {
    expect(parseDuration(input)).toBeNull();
  });

  it.each([0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses the number %d', (input) => {
    expect(parseDuration(input)).toBeNull();
  });
});

describe('parseIsoTime', () => {
  it.each([
    ['2026-01-31', Date.UTC(2026, 0, 31)],
    ['2026-01-31T12:00Z', Date.UTC(2026, 0, 31, 12)],
    ['2026-01-31T12:00:00.250Z', Date.UTC(2026, 0, 31, 12, 0, 0, 250)],
    ['2026-01-31 12:00:00+02:00', Date.UTC(2026, 0, 31, 10)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
  ])('%s → its epoch ms', (text, ms) => {
    expect(parseIsoTime(text)).toBe(ms);
  });

  it.each([
    'Dec 7',
    '1',
    '2026',
    '2026-02-30',
    '2025-02-29',
    '2026-13-01',
    '2026-01-31T25:00:00Z',
    ' 2026-01-31',
    '',
  ])('refuses %j, which Date.parse would read as some time', (text) => {
    expect(parseIsoTime(text)).toBeNaN();
  });
});
