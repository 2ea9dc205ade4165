import { CliError } from './admin-client.js';

/** Errors whose message is already written for the operator. */
const OPERATOR_ERRORS = new Set(['AccessListError', 'ConfigError', 'DataDirLockedError']);

/**
 * What the CLI prints after `ipwarden: ` for an error that ends a command: one line an operator can
 * act on, and a stack trace only for errors no one anticipated.
 */
export function describeError(err: NodeJS.ErrnoException): string {
  if (err instanceof CliError || OPERATOR_ERRORS.has(err.name)) return err.message;
  if (err.code === 'EADDRINUSE')
    return `${err.message}: another program is using that port; choose another with --listen or --admin`;
  if (err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL')
    return `${err.message}: cannot listen there; check --listen / --admin`;
  // mkdir of the data dir (or a folder on its path) where a file is.
  if (err.code === 'EEXIST' && err.syscall === 'mkdir')
    return `${err.path} is a file, not a directory: choose a data dir with --data-dir`;
  if (err.code === 'ENOTDIR' && err.syscall === 'mkdir')
    return `cannot make ${err.path}: a folder on its path is a file; choose a data dir with --data-dir`;
  if (err.message?.startsWith('GeoIP database')) return `${err.message} (check --geoip)`;
  return err.stack ?? String(err);
}
