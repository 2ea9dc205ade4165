import { buildProgram } from '../../server/cli/program.js';

/** What one in-process CLI run printed, and the error it failed with, if any. */
export interface CliRun {
  out: string;
  err: string;
  error?: Error;
}

/**
 * Runs the ipwarden CLI in-process with `--data-dir dataDir` and the given arguments, with an empty
 * environment, `cwd` = dataDir and stderr not a TTY; never throws (a failure is in `error`).
 */
export async function runCli(dataDir: string, ...args: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const program = buildProgram({
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    env: {},
    cwd: dataDir,
    errIsTTY: false,
  });
  program.exitOverride();
  try {
    await program.parseAsync(['node', 'ipwarden', '--data-dir', dataDir, ...args]);
    return { out, err };
  } catch (error) {
    return { out, err, error: error as Error };
  }
}
