import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { adminTokenPath } from '../admin/index.js';
import { CliError, connectToRunningAppliance } from './admin-client.js';
import { type CliContext, resolveConfig } from './context.js';
import { dataDirFlag } from './start-command.js';

/**
 * `ipwarden ui`: prints the operator UI's sign-in link. The token travels in the URL fragment,
 * which browsers never send to a server or put in a Referer; the UI trades it for an HttpOnly
 * cookie at once and removes it from the address bar.
 */
export function registerUiCommand(program: Command, cli: CliContext): void {
  program
    .command('ui')
    .description(
      'print the sign-in link of the running operator UI (contains the admin token: do not share it)',
    )
    .action(async () => {
      const config = resolveConfig(cli, program);
      const client = await connectToRunningAppliance(config.dataDir);
      if (!client) {
        // An upstream from the environment or a config file is found by start too; without one,
        // start would serve the demo site, which is not what someone protecting a site wants.
        const upstream = config.upstream === undefined ? ' --upstream http://<your site>' : '';
        throw new CliError(
          `ipwarden is not running on ${config.dataDir}; start it with: npx ipwarden start${upstream}${dataDirFlag(cli.cwd, config.dataDir)}` +
            (upstream ? ' (without --upstream it starts a demo site)' : ''),
        );
      }
      const token = (await readFile(adminTokenPath(config.dataDir), 'utf8')).trim();
      cli.out(`${client.adminUrl}/#token=${token}\n`);
    });
}
