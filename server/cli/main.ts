#!/usr/bin/env node
import { CommanderError } from 'commander';
import { describeError } from './error-message.js';
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

// A reader that goes away (`ipwarden export … | head`) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

await main();
