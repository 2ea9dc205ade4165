import path from 'node:path';
import type { Command } from 'commander';
import { createAppliance } from '../appliance.js';
import { DEMO_CREDENTIALS } from '../demo/index.js';
import { setupHeapGrowth } from '../heap-growth.js';
import { VERSION } from '../version.js';
import { type CliContext, resolveConfig } from './context.js';

/** Says so when a listener is bound to every interface, which the loopback URL alone would hide. */
function wildcard(host: string): string {
  return host === '0.0.0.0' || host === '::' ? ` (listening on all interfaces, ${host})` : '';
}

/** `ipwarden start`: runs the proxy and the admin server until SIGINT/SIGTERM. */
export function registerStartCommand(program: Command, cli: CliContext): void {
  program
    .command('start')
    .description('start the proxy and the admin server (Ctrl-C stops gracefully)')
    .option('--upstream <url>', 'the site to protect (default: a built-in demo site)')
    .option('--listen <host:port>', 'proxy address (default 0.0.0.0:8080)')
    .option('--admin <host:port>', 'admin UI/API address (default 127.0.0.1:8081)')
    .option('--admin-hosts <list>', 'extra host names the admin server answers to (comma-separated)')
    .option(
      '--trust-proxy <list>',
      'comma-separated CIDRs whose X-Forwarded-For (or Forwarded) is trusted, or "loopback" (default: none)',
    )
    .option(
      '--forwarded-header <name>',
      'header a trusted proxy names the client in: x-forwarded-for or forwarded (default x-forwarded-for)',
    )
    .option('--geoip <file>', 'a GeoLite2-City .mmdb (default: the bundled database)')
    .option('--redis <url>', 'redis:// URL shared by several instances (default: in-process)')
    .option(
      '--redis-failure <policy>',
      'while Redis is unreachable, rate limits fail "open" or "closed" (default open)',
    )
    .option('--upstream-timeout <duration>', 'upstream inactivity limit before 504 (default 30s)')
    .option('--headers-timeout <duration>', 'time a client has to send all request headers (default 10s)')
    .option('--request-timeout <duration>', 'time a client has to send a whole request (default 120s)')
    .option('--idle-timeout <duration>', 'idle keep-alive connections are closed after (default 5s)')
    .option('--flush-interval <duration>', 'request log flush interval (default 1s)')
    .option('--session-cookie <name>', "the site's session cookie name (default sessionid)")
    .option(
      '--session-from <answers>',
      'answers that vouch for a session they set: success (any 2xx/3xx) or redirect (3xx only); default success',
    )
    .option(
      '--rate-limit-ipv6-prefix <bits>',
      'IPv6 clients share a rate-limit budget per network of this size, and an auto-block covers it, 32-128 (default 64)',
    )
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)')
    .action(async (opts: Record<string, unknown>) => {
      const config = resolveConfig(cli, program, opts);
      setupHeapGrowth();
      const appliance = createAppliance(config);
      const addresses = await appliance.start();
      const upstream = addresses.demo
        ? `${addresses.upstream} (built-in demo site; sign in with ${DEMO_CREDENTIALS.username} / ${DEMO_CREDENTIALS.password})`
        : addresses.upstream;
      cli.out(
        [
          `ipwarden ${VERSION}`,
          `  proxy      ${addresses.proxyUrl}${wildcard(config.listen.host)}  →  ${upstream}`,
          `  admin UI   ${addresses.adminUrl}${wildcard(config.admin.host)}  (sign-in link: npx ipwarden ui${dataDirFlag(cli.cwd, config.dataDir)})`,
          `  admin API  ${addresses.adminUrl}/api  (token in ${addresses.tokenFile})`,
          `  data dir   ${config.dataDir}`,
          '',
        ].join('\n'),
      );
      cli.onStarted?.(() => appliance.stop());
    });
}

/**
 * ` --data-dir DIR` when `dataDir` is not the default `./data` of `cwd`: the CLI commands find the
 * running appliance through its data dir, so a hint without it would look in the wrong place.
 */
export function dataDirFlag(cwd: string, dataDir: string): string {
  if (path.resolve(cwd, 'data') === dataDir) return '';
  return ` --data-dir ${/^[\w@%+=:,./-]+$/.test(dataDir) ? dataDir : `'${dataDir.replaceAll("'", `'\\''`)}'`}`;
}
