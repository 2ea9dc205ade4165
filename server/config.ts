import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  distinctRuleNames,
  duration,
  durationAtLeast,
  hostNames,
  hostPort,
  pathList,
  prefixLength,
  trustProxy,
} from './config-fields.js';
import { ConfigError, leafPaths, readConfigFile } from './config-file.js';

const HOUR_MS = 3_600_000;

export { parseDuration, parseIsoTime } from './config-fields.js';

export { ConfigError } from './config-file.js';

const limit = z.object({ max: z.number().int().positive(), period: duration }).strict();

const rateLimitRule = z
  .object({
    name: z.string().min(1).max(64),
    paths: pathList.min(1),
    methods: z
      .array(z.string().regex(/^[A-Za-z]+$/, 'expected an HTTP method name'))
      .default(['POST'])
      .transform((m) => m.map((x) => x.toUpperCase())),
    anonymous: limit,
    authenticated: limit.optional(),
  })
  .strict();

/** Seed defaults: login limited to 5/min anonymous, 10/min authenticated (the Django views it replaces). */
export const DEFAULT_RATE_LIMITS = [
  {
    name: 'login',
    paths: ['/login', '/api/login/'],
    methods: ['POST'],
    anonymous: { max: 5, period: '1m' },
    authenticated: { max: 10, period: '1m' },
  },
];

const threshold = z.number().int().positive();

/**
 * Detection settings. Thresholds are per IP per hour, from the Django/Celery seeds:
 * >100 requests (high_volume), >200 (brute_force), >5 sensitive-path hits, >10 failed logins,
 * >3 admin hits; flags expire after 7 days; 3+ distinct reasons are blocked automatically.
 */
const detection = z
  .object({
    thresholds: z
      .object({
        high_volume: threshold.default(100),
        brute_force: threshold.default(200),
        sensitive_paths: threshold.default(5),
        failed_logins: threshold.default(10),
        admin_access: threshold.default(3),
      })
      .strict()
      .prefault({}),
    window: duration.prefault('1h'),
    sensitivePaths: pathList.default([
      '/admin/**',
      '/login',
      '/wp-login.php',
      '/wp-admin/**',
      '/.env',
      '/.git/**',
      '/phpmyadmin/**',
      '/xmlrpc.php',
    ]),
    adminPaths: pathList.default(['/admin/**', '/wp-admin/**']),
    loginPaths: pathList.default(['/login', '/api/login/']),
    /** Upstream statuses on a login path that count as a failed login (429 from the rate limit always counts). */
    failedLoginStatuses: z.array(z.number().int().min(100).max(599)).default([401, 403]),
    flagTtl: durationAtLeast(HOUR_MS, '1h').prefault('7d'),
    autoBlockReasons: z.number().int().min(1).max(6).default(3),
    /** At most 100 years: a block must end before the year 10000, or no auto-block could be stored. */
    autoBlockFor: duration
      .refine((ms) => ms <= 100 * 365 * 24 * HOUR_MS, { message: 'must be at most 100 years (36500d)' })
      .prefault('7d'),
    /** At least a day: the request log is kept in day segments, deleted whole. */
    retention: durationAtLeast(24 * HOUR_MS, '1d').prefault('90d'),
    /**
     * Range suggestions: a /24 (IPv6 /64 or /48) holding at least `minIps` flagged IPs is suggested
     * for a range block; `window` is how far back its legitimate traffic is counted.
     */
    rangeSuggestions: z
      .object({ minIps: z.number().int().min(2).max(256).default(3), window: duration.prefault('24h') })
      .strict()
      .prefault({}),
    ml: z
      .object({
        enabled: z.boolean().default(true),
        threshold: z.number().min(0.5).max(1).default(0.7),
        minRequests: z.number().int().min(1).default(20),
        minIps: z.number().int().min(2).default(50),
        seed: z.number().int().default(1),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

/** Every option: its validation, defaults and units (durations parsed to ms, CIDRs parsed). */
export const configSchema = z
  .object({
    upstream: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
    listen: hostPort('0.0.0.0:8080'),
    admin: hostPort('127.0.0.1:8081'),
    /** Host names the admin server answers to besides its address and loopback (DNS-rebinding defence). */
    adminHosts: hostNames,
    dataDir: z.string().min(1).default('./data'),
    trustProxy,
    /**
     * The header a trusted proxy names the client in. Only this one is read: proxies that write one
     * usually pass a client-written other one through untouched.
     */
    forwardedHeader: z
      .enum(['x-forwarded-for', 'forwarded'], { error: 'expected "x-forwarded-for" or "forwarded"' })
      .default('x-forwarded-for'),
    geoip: z.string().min(1).optional(),
    redis: z.url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' }).optional(),
    redisPrefix: z
      .string()
      .regex(/^[\w:.-]{1,64}$/)
      .default('ipwarden:'),
    /** While a shared Redis is unreachable, rate-limited requests pass (`open`) or get 503 (`closed`). */
    redisFailure: z.enum(['open', 'closed'], { error: 'expected "open" or "closed"' }).default('open'),
    upstreamTimeout: duration.prefault(30_000),
    /** Slow-client limits (slowloris): all request headers must arrive within `headersTimeout`... */
    headersTimeout: duration.prefault(10_000),
    /** ...the whole request, body included, within `requestTimeout`... */
    requestTimeout: duration.prefault(120_000),
    /** ...and a keep-alive connection may sit idle between requests for `idleTimeout`. */
    idleTimeout: duration.prefault(5_000),
    flushInterval: duration.prefault(1_000),
    sessionCookie: z
      .string()
      .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'expected a cookie name')
      .default('sessionid'),
    sessionTtl: duration.prefault('14d'),
    /** Which upstream answers vouch for a session they set: any 2xx/3xx, or only a 3xx redirect. */
    sessionFrom: z
      .enum(['success', 'redirect'], { error: 'expected "success" or "redirect"' })
      .default('success'),
    rateLimits: z.array(rateLimitRule).superRefine(distinctRuleNames).prefault(DEFAULT_RATE_LIMITS),
    /** IPv6 clients are rate-limited per network of this many bits (64: one subscriber; 128: per address). */
    rateLimitIpv6Prefix: prefixLength(32, 128).default(64),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    detection,
    /** Run the scheduled jobs (monitor, cleanup, auto-block, retention, report). */
    schedule: z.boolean().default(true),
  })
  .strict();

/** Raw, unvalidated configuration as it comes from flags, environment or the config file. */
export type ConfigInput = z.input<typeof configSchema>;
/** Validated configuration with defaults applied; durations are milliseconds. */
export type Config = z.output<typeof configSchema> & {
  configFile: string | null;
  /**
   * Where each value the operator set came from (`--trust-proxy`, an env name, the file), by dotted
   * path of the value (`trustProxy`, `detection.thresholds.high_volume`); absent ones are defaults.
   */
  setPaths?: ReadonlyMap<string, string>;
};
export type RateLimitRuleConfig = Config['rateLimits'][number];
export type DetectionConfig = Config['detection'];

/** Every option ipwarden accepts as a flag / `IPWARDEN_<NAME>` variable / config-file key. */
export const OPTION_KEYS = [
  'upstream',
  'listen',
  'admin',
  'adminHosts',
  'dataDir',
  'trustProxy',
  'forwardedHeader',
  'geoip',
  'redis',
  'redisPrefix',
  'redisFailure',
  'upstreamTimeout',
  'headersTimeout',
  'requestTimeout',
  'idleTimeout',
  'flushInterval',
  'sessionCookie',
  'sessionTtl',
  'sessionFrom',
  'rateLimitIpv6Prefix',
  'logLevel',
] as const satisfies readonly (keyof ConfigInput)[];

/** `dataDir` → `IPWARDEN_DATA_DIR`. */
export function envName(key: string): string {
  return `IPWARDEN_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

export interface LoadConfigOptions {
  /** Parsed command-line flags (commander's camelCase keys); undefined values are ignored. */
  flags?: Record<string, unknown>;
  /** Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** An explicit config file (`--config`); otherwise `ipwarden.config.json` in `cwd` if it exists. */
  configFile?: string;
  cwd?: string;
}

/**
 * Loads configuration once, in order of precedence: flags > `IPWARDEN_*` environment > config file
 * > defaults. Relative paths are resolved against `cwd`.
 * @throws ConfigError naming the bad field, where it came from and the expected form.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const sources = new Map<string, string>();
  const setPaths = new Map<string, string>();
  // A Map, not an object: a config file's own `__proto__` key must stay a key (and be refused as
  // unknown), not replace the input's prototype.
  const input = new Map<string, unknown>();

  const explicitFile = options.configFile ?? env.IPWARDEN_CONFIG;
  const file = explicitFile ? path.resolve(cwd, explicitFile) : path.join(cwd, 'ipwarden.config.json');
  let configFile: string | null = null;
  if (explicitFile || existsSync(file)) {
    const fromFile = readConfigFile(file);
    for (const [key, value] of Object.entries(fromFile)) {
      input.set(key, value);
      sources.set(key, `config file ${file}`);
      for (const at of leafPaths(key, value)) setPaths.set(at, `config file ${file}`);
    }
    configFile = file;
  }
  for (const key of OPTION_KEYS) {
    const value = env[envName(key)];
    if (value !== undefined && value !== '') {
      input.set(key, value);
      sources.set(key, envName(key));
      setPaths.set(key, envName(key));
    }
  }
  for (const [key, value] of Object.entries(options.flags ?? {})) {
    if (value !== undefined && (OPTION_KEYS as readonly string[]).includes(key)) {
      input.set(key, value);
      sources.set(key, `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
      setPaths.set(key, sources.get(key) as string);
    }
  }

  const parsed = configSchema.safeParse(Object.fromEntries(input));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      // An unknown top-level key has an empty path; the key itself tells where it came from.
      const unknown = issue.code === 'unrecognized_keys' && issue.path.length === 0 ? issue.keys : [];
      const field = issue.path.join('.') || unknown.join(', ') || '(root)';
      const from = sources.get(String(issue.path[0] ?? unknown[0])) ?? 'defaults';
      return `  ${field} (from ${from}): ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  if (config.headersTimeout > config.requestTimeout) {
    // Name the value the operator set (the other may be a default).
    const from = sources.get('headersTimeout');
    throw new ConfigError(
      from !== undefined || !sources.has('requestTimeout')
        ? `invalid configuration:\n  headersTimeout (from ${from ?? 'defaults'}): expected at most requestTimeout (${config.requestTimeout} ms), got ${config.headersTimeout} ms`
        : `invalid configuration:\n  requestTimeout (from ${sources.get('requestTimeout')}): expected at least headersTimeout (${config.headersTimeout} ms), got ${config.requestTimeout} ms`,
    );
  }
  return {
    ...config,
    dataDir: path.resolve(cwd, config.dataDir),
    geoip: config.geoip === undefined ? undefined : path.resolve(cwd, config.geoip),
    configFile,
    setPaths,
  };
}
