import type { Command } from 'commander';
import { parseDuration } from '../config.js';
import { type AccessLists, type BlockEntry, checkAllow } from '../store/index.js';
import { type AdminClient, CliError } from './admin-client.js';
import { type CliContext, resolveConfig } from './context.js';
import {
  changedFilesNote,
  localAccessLists,
  openLocalState,
  reachDataDir,
  requireDataDir,
} from './local-files.js';

/** `block`, `unblock`, `allow`, `disallow` and `blocks`: through the admin API when the appliance runs, on the state file otherwise. */
export function registerAccessCommands(program: Command, cli: CliContext): void {
  program
    .command('block <target>')
    .description('block an IP or CIDR range (takes effect on the next request when ipwarden is running)')
    .option('--reason <text>', 'why, for the audit trail', '')
    .option('--for <duration>', 'lapse after this long (30m, 12h, 7d); default: permanent')
    .option('--force', 'block even a range that covers your own address (loopback, the admin address)')
    .action(async (target: string, opts: { reason: string; for?: string; force?: boolean }) => {
      // A unit is required: a bare `--for 90` (meant as days) would be 90 ms, over before it is seen.
      const parsed = opts.for === undefined || /^\s*\d+\s*$/.test(opts.for) ? null : parseDuration(opts.for);
      if (opts.for !== undefined && parsed === null)
        throw new CliError(
          `--for expects a duration with a unit like 30m, 12h or 7d, got ${JSON.stringify(opts.for)}`,
        );
      const durationMs = parsed ?? undefined;
      const result = await withAccessLists(cli, program, 'block', {
        api: (c) =>
          c.json<{ entry: BlockEntry; warnings: string[] }>(
            'POST',
            `/api/blocks${opts.force ? '?force=true' : ''}`,
            { target, reason: opts.reason, duration: durationMs },
          ),
        local: (lists) =>
          lists.block({ target, reason: opts.reason, durationMs, actor: 'cli', force: opts.force === true }),
      });
      cli.out(
        `blocked ${result.entry.target}${result.entry.expiresAt ? ` until ${result.entry.expiresAt}` : ''}\n`,
      );
      noteRange(cli, target, result.entry.target);
      for (const warning of result.warnings) cli.err(`warning: ${warning}\n`);
    });

  program
    .command('unblock <target>')
    .description('remove the block on an IP or CIDR range')
    .action(async (target: string) => {
      await withAccessLists(cli, program, 'unblock', {
        api: (c) => c.json('DELETE', `/api/blocks/${encodeURIComponent(target)}`),
        local: (lists) => lists.unblock(target, 'cli'),
      });
      cli.out(`unblocked ${target}\n`);
    });

  program
    .command('allow <target>')
    .description('allowlist an IP or CIDR range: never blocked, rate-limited or flagged')
    .option('--reason <text>', 'why, for the audit trail', '')
    .action(async (target: string, opts: { reason: string }) => {
      const result = await withAccessLists(cli, program, 'allow', {
        api: (c) =>
          c.json<{ entry: { target: string }; warnings: string[] }>('POST', '/api/allowlist', {
            target,
            reason: opts.reason,
          }),
        local: async (lists) => {
          const entry = await lists.allow({ target, reason: opts.reason, actor: 'cli' });
          return { entry, warnings: checkAllow(entry.target, lists, Date.now()) };
        },
      });
      cli.out(`allowlisted ${result.entry.target}\n`);
      noteRange(cli, target, result.entry.target);
      for (const warning of result.warnings) cli.err(`warning: ${warning}\n`);
    });

  program
    .command('disallow <target>')
    .description('remove an IP or CIDR range from the allowlist')
    .action(async (target: string) => {
      await withAccessLists(cli, program, 'disallow', {
        api: (c) => c.json('DELETE', `/api/allowlist/${encodeURIComponent(target)}`),
        local: (lists) => lists.disallow(target, 'cli'),
      });
      cli.out(`removed ${target} from the allowlist\n`);
    });

  program
    .command('blocks')
    .description('list the blocklist (newest first)')
    .option('--search <text>', 'only blocks whose target, reason or author contain this text (any case)')
    .option('--limit <n>', 'at most this many blocks (1–1000), newest first')
    .option('--json', 'print JSON')
    .action(async (opts: { search?: string; limit?: string; json?: boolean }) => {
      const query = blocksQuery(opts);
      const { blocks, matched, total } = await withAccessLists(cli, program, 'blocks', {
        api: (c) =>
          c.json<{ blocks: (BlockEntry & { expired: boolean })[]; matched: number; total: number }>(
            'GET',
            `/api/blocks${query.params.size > 0 ? `?${query.params}` : ''}`,
          ),
        local: async (lists) => {
          const { entries, matched, total } = lists.blockPage(query.page);
          return { blocks: entries, matched, total };
        },
      });
      // On stderr, so that the table or the JSON on stdout stays whole.
      const cut = () => {
        if (blocks.length < matched)
          cli.err(`${blocks.length} of ${matched}${matched < total ? ' matching' : ''} shown (--limit)\n`);
      };
      if (opts.json) {
        cli.out(`${JSON.stringify(blocks, null, 2)}\n`);
        cut();
        return;
      }
      if (blocks.length === 0) {
        cli.out(
          total > 0
            ? `No block matches ${JSON.stringify(opts.search)}.\n`
            : 'The blocklist is empty. Block an address with: ipwarden block <ip|cidr> --reason "…"\n',
        );
        return;
      }
      const rows = blocks.map((b) => [
        b.target,
        b.expired ? 'expired' : b.expiresAt ? `until ${b.expiresAt}` : 'permanent',
        b.createdAt,
        b.createdBy,
        b.reason,
      ]);
      cli.out(table(['TARGET', 'STATUS', 'CREATED', 'BY', 'REASON'], rows));
      cut();
    });
}

/**
 * `ipwarden blocks`' options as the admin API's query and as a page of the local lists.
 * @throws CliError naming the option when `--limit` is not a whole number from 1 to 1000 or
 *   `--search` is blank or longer than 200 characters (the API's own limits).
 */
function blocksQuery(opts: { search?: string; limit?: string }): {
  params: URLSearchParams;
  page: { search?: string; limit?: number };
} {
  const params = new URLSearchParams();
  const page: { search?: string; limit?: number } = {};
  if (opts.search !== undefined) {
    if (opts.search.trim() === '') throw new CliError('--search needs some text to look for');
    if (opts.search.length > 200)
      throw new CliError(`--search takes at most 200 characters, got ${opts.search.length}`);
    params.set('search', opts.search);
    page.search = opts.search;
  }
  if (opts.limit !== undefined) {
    const limit = Number(opts.limit);
    if (!/^\d+$/.test(opts.limit) || limit < 1 || limit > 1000)
      throw new CliError(`--limit expects a whole number from 1 to 1000, got ${JSON.stringify(opts.limit)}`);
    params.set('limit', opts.limit);
    page.limit = limit;
  }
  return { params, page };
}

/**
 * Says so when a range was typed with host bits set (`10.0.0.1/24` is the range `10.0.0.0/24`): the
 * whole range is what is blocked, which a typo for an address would not want.
 */
function noteRange(cli: CliContext, typed: string, stored: string): void {
  if (typed.includes('/') && stored !== typed.trim().toLowerCase())
    cli.err(`note: ${typed} is the range ${stored}\n`);
}

async function withAccessLists<T>(
  cli: CliContext,
  program: Command,
  purpose: string,
  how: {
    api: (client: AdminClient) => Promise<T>;
    local: (lists: AccessLists) => Promise<T>;
  },
): Promise<T> {
  const config = resolveConfig(cli, program);
  const adds = purpose === 'block' || purpose === 'allow';
  // Only an addition may start a data dir (a blocklist made before the first start).
  if (!adds) requireDataDir(config.dataDir);
  const { client, lock } = await reachDataDir(cli, config.dataDir, `cli ${purpose}`);
  if (client) return how.api(client);
  try {
    const result = await how.local(localAccessLists(await openLocalState(cli, config.dataDir), config));
    if (purpose !== 'blocks') cli.err(changedFilesNote(config.dataDir));
    return result;
  } catch (err) {
    if ((err as Error).name === 'AccessListError') throw new CliError((err as Error).message);
    throw err;
  } finally {
    await lock.release();
  }
}

/** Plain aligned text table; cells are stripped of control characters (they may come from clients). */
export function table(header: string[], rows: string[][]): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const clean = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  const all = [header, ...rows.map((r) => r.map(clean))];
  // A reduce, not Math.max(...rows): a spread of 100,000+ rows overflows the call stack.
  const widths = header.map((_, i) => all.reduce((width, r) => Math.max(width, (r[i] ?? '').length), 0));
  return `${all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n')}\n`;
}
