#!/usr/bin/env node
import { CommanderError } from 'commander';
import { CliError } from './admin-client.js';
import { buildProgram } from './program.js';

/** The `ipwarden` executable: runs the CLI, turns signals into a graceful stop and errors into exit codes. */
async function main(): Promise<void> {
  let stopping = false;
  const program = buildProgram({
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    stdin: process.stdin,
    errIsTTY: process.stderr.isTTY === true,
    onStarted: (stop) => {
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`\n${signal}: stopping — finishing in-flight requests and flushing the log…\n`);
        stop().then(
          () => process.exit(0),
          (err: Error) => {
            process.stderr.write(`ipwarden: stop failed: ${err.message}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
    },
  });
  program.exitOverride();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    process.stderr.write(`ipwarden: ${describeError(err as NodeJS.ErrnoException)}\n`);
    process.exit(1);
  }
}

/** One line an operator can act on; a stack trace only for errors no one anticipated. */
function describeError(err: NodeJS.ErrnoException): string {
  if (err instanceof CliError || err.name === 'AccessListError' || err.name === 'ConfigError')
    return err.message;
  if (err.code === 'EADDRINUSE')
    return `${err.message}: another program is using that port; choose another with --listen or --admin`;
  if (err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL')
    return `${err.message}: cannot listen there; check --listen / --admin`;
  if (err.message?.startsWith('GeoIP database')) return `${err.message} (check --geoip)`;
  return err.stack ?? String(err);
}

// A reader that goes away (`ipwarden export … | head`) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

await main();
