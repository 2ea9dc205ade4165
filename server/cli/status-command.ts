import type { Command } from 'commander';
import { type AdminClient, CliError, connectToRunningAppliance } from './admin-client.js';
import { type CliContext, resolveConfig } from './context.js';

/** `GET /api/health`, as the admin API answers it. */
interface Health {
  status: 'ok' | 'degraded';
  version: string;
  problems: string[];
  proxyUrl?: string;
}

/**
 * `ipwarden status [--json]`: whether ipwarden runs on the data dir, where its proxy and admin UI
 * listen, and the problems it reports (`GET /api/health`). Exits 0 when it runs and reports none.
 * @throws CliError when it is not running on the data dir, or runs with problems (after printing them).
 */
export function registerStatusCommand(program: Command, cli: CliContext): void {
  program
    .command('status')
    .description(
      'say whether ipwarden is running on the data dir, where it listens, and any problem it reports',
    )
    .option(
      '--json',
      'print { running, responding, dataDir, status, version, proxyUrl, adminUrl, problems } as JSON',
    )
    .action(async (opts: { json?: boolean }) => {
      const config = resolveConfig(cli, program);
      let client: AdminClient | null;
      try {
        client = await connectToRunningAppliance(config.dataDir);
      } catch (err) {
        // Its process runs but its admin API does not answer: the case a monitoring check is for.
        if (opts.json && err instanceof CliError) {
          const hung = { running: true, responding: false, dataDir: config.dataDir, problems: [err.message] };
          cli.out(`${JSON.stringify(hung, null, 2)}\n`);
        }
        throw err;
      }
      if (!client) {
        if (opts.json) cli.out(`${JSON.stringify({ running: false, dataDir: config.dataDir }, null, 2)}\n`);
        throw new CliError(`ipwarden is not running on ${config.dataDir}`);
      }
      const health = await client.json<Health>('GET', '/api/health');
      if (opts.json) {
        const { status, version, proxyUrl, problems } = health;
        const running = {
          running: true,
          responding: true,
          dataDir: config.dataDir,
          status,
          version,
          proxyUrl,
        };
        cli.out(`${JSON.stringify({ ...running, adminUrl: client.adminUrl, problems }, null, 2)}\n`);
      } else {
        cli.out(
          [
            `ipwarden ${health.version} is running on ${config.dataDir}: ${health.status}`,
            `proxy  ${health.proxyUrl ?? '(not listening)'}`,
            `admin  ${client.adminUrl} (the sign-in link: ipwarden ui)`,
            ...health.problems.map((problem) => `problem: ${problem}`),
            '',
          ].join('\n'),
        );
      }
      if (health.problems.length > 0)
        throw new CliError(
          `ipwarden reports ${health.problems.length === 1 ? 'a problem' : `${health.problems.length} problems`} (above)`,
        );
    });
}
