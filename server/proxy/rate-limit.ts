import Koa, { type Context as KoaContext } from 'koa';
import ratelimit from 'koa-ratelimit';
import type { RateLimitRuleConfig } from '../config.js';
import type { Logger } from '../log.js';
import { compilePathPattern, normalisePath, type PathPattern, rateLimitSubject } from '../net/index.js';
import type { CountersClient } from '../store/index.js';
import type { ProxyContext as Context } from './context.js';
import { sendPage } from './forward.js';
import type { SessionRegistry } from './session-registry.js';

export interface RateLimitOptions {
  rules: readonly RateLimitRuleConfig[];
  counters: CountersClient;
  sessions: SessionRegistry;
  logger: Logger;
  /** While the counters store fails: let requests through (`open`, default) or answer 503 (`closed`). */
  failure?: 'open' | 'closed';
  /** IPv6 clients are counted per network of this many bits (default 64; 128 counts each address). */
  ipv6Prefix?: number;
}

interface CompiledRule {
  name: string;
  patterns: PathPattern[];
  methods: Set<string>;
  anonymous: ReturnType<typeof ratelimit>;
  authenticated: ReturnType<typeof ratelimit> | null;
}

/**
 * Rate limits by rule (path patterns + methods), a request-path step enforced with koa-ratelimit on the counters store.
 * Anonymous clients are counted per IP (IPv6: per /`ipv6Prefix` network, default /64); clients with a session the upstream vouched for are counted
 * per session hash with the rule's `authenticated` budget. Seed defaults: login 5/min anonymous,
 * 10/min authenticated. Over the limit: 429 with Retry-After and X-RateLimit-* headers, and the
 * upstream never sees the request. If the counters store fails, requests a rule covers pass
 * (`failure: 'open'`) or get 503 (`'closed'`); the failure is logged once, and so is the recovery.
 */
export function rateLimit(options: RateLimitOptions) {
  let rules = options.rules.map((rule) => compileRule(rule, options.counters));
  const { sessions, logger } = options;
  const failure = options.failure ?? 'open';
  const ipv6Prefix = options.ipv6Prefix ?? 64;
  /** The anonymous budget of a client: its IPv4 address or its IPv6 network. */
  const clientBudget = (ip: string | undefined) => `ip:${ip && rateLimitSubject(ip, ipv6Prefix)}`;
  let unavailable = false;
  const recovered = () => {
    if (unavailable) logger.info('rate limits available again');
    unavailable = false;
  };
  // koa-ratelimit needs Koa's full context; it is built only for requests a rule covers.
  const koa = new Koa();

  /** Whether the request may go on; a promise only for a request a rule covers (the rare case). */
  const step = function rateLimitRules(ctx: Context): true | Promise<boolean> {
    if (rules.length === 0 || ctx.state.allowlisted || ctx.state.paused) return true;
    const method = ctx.method;
    let path: string | null = null;
    for (const rule of rules) {
      if (!rule.methods.has(method)) continue;
      path ??= normalisePath(ctx.path);
      if (!rule.patterns.some((p) => p.matches(path as string))) continue;
      return limit(ctx, rule);
    }
    return true;
  };

  async function limit(ctx: Context, rule: CompiledRule): Promise<boolean> {
    ctx.state.rateLimitRule = `ratelimit:${rule.name}`;
    let allowed = false;
    const allow = () => {
      allowed = true;
      return Promise.resolve();
    };
    try {
      // Identified even for a rule without a signed-in budget: a session set in answer inherits it.
      const session = await sessions.identify(ctx.headers);
      ctx.state.sessionBudget = session;
      ctx.state.rateLimitKey =
        session && rule.authenticated
          ? `${rule.name}:session:${session}`
          : `${rule.name}:${clientBudget(ctx.state.clientIp)}`;
      const koaCtx = koa.createContext(ctx.req, ctx.res);
      koaCtx.state = ctx.state;
      await (session && rule.authenticated ? rule.authenticated : rule.anonymous)(koaCtx, allow);
      recovered();
      // Limited: koa-ratelimit set the status, headers and body on Koa's context; send them.
      if (!allowed && !ctx.res.headersSent) ctx.res.end(String(koaCtx.body ?? ''));
      return allowed;
    } catch (err) {
      if (!unavailable) {
        logger.error(
          { 'error.message': (err as Error).message, rule: rule.name, failure },
          failure === 'open'
            ? 'rate limits unavailable; requests are let through until the counters store recovers'
            : 'rate limits unavailable; requests get 503 until the counters store recovers',
        );
      }
      unavailable = true;
      if (failure === 'open') return true;
      ctx.state.action = 'rate_limited';
      sendPage(ctx.res, 503);
      return false;
    }
  }
  return Object.assign(step, {
    /** The budget key (`ip:<subject>`) anonymous requests from `ip` are counted under. */
    clientBudget,
    /** Replaces the rules (settings changed); counts already in the store carry on under the same names. */
    setRules(next: readonly RateLimitRuleConfig[]): void {
      rules = next.map((rule) => compileRule(rule, options.counters));
    },
  });
}

function compileRule(rule: RateLimitRuleConfig, db: CountersClient): CompiledRule {
  const limiter = (max: number, duration: number) =>
    ratelimit({
      driver: 'redis',
      db,
      max,
      duration,
      namespace: 'ratelimit',
      id: (ctx: KoaContext) => ctx.state.rateLimitKey as string,
      errorMessage: 'Too many requests. Wait a moment and try again.\n',
      onLimited: (ctx: KoaContext) => {
        ctx.state.action = 'rate_limited';
      },
    } as Parameters<typeof ratelimit>[0]);
  return {
    name: rule.name,
    patterns: rule.paths.map(compilePathPattern),
    methods: new Set(rule.methods),
    anonymous: limiter(rule.anonymous.max, rule.anonymous.period),
    authenticated: rule.authenticated ? limiter(rule.authenticated.max, rule.authenticated.period) : null,
  };
}
