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
    if (err instanceof CliError || (err as Error).name === 'AccessListError') {
      process.stderr.write(`ipwarden: ${(err as Error).message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

await main();
