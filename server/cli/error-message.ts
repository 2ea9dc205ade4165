import { CliError } from './admin-client.js';

/** What to do about a file system error, by code (the error's own message names the file). */
const FILE_ADVICE: Record<string, string> = {
  EACCES: 'this user may not do that there; check the permissions of the data dir (--data-dir) and the file',
  EPERM: 'this user may not do that there; check the permissions of the data dir (--data-dir) and the file',
  EROFS: 'the file system is read-only; choose a writable data dir with --data-dir',
  ENOSPC: 'the disk is full; free some space',
  EISDIR: 'a directory stands where a file belongs; move it away',
  ENOTDIR: 'a file stands where a directory belongs; move it away',
};

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
  if ((err.code === 'EACCES' && err.syscall === 'listen') || err.code === 'EADDRNOTAVAIL')
    return `${err.message}: cannot listen there; check --listen / --admin`;
  // mkdir of the data dir (or a folder on its path) where a file is.
  if (err.code === 'EEXIST' && err.syscall === 'mkdir')
    return `${err.path} is a file, not a directory: choose a data dir with --data-dir`;
  if (err.code === 'ENOTDIR' && err.syscall === 'mkdir')
    return `cannot make ${err.path}: a folder on its path is a file; choose a data dir with --data-dir`;
  // A file operation on the data dir or a file named on the command line.
  if (err.syscall !== undefined && err.code !== undefined) {
    const advice = FILE_ADVICE[err.code];
    if (advice !== undefined) return `${err.message}: ${advice}`;
  }
  if (err.message?.startsWith('GeoIP database')) return `${err.message} (check --geoip)`;
  return err.stack ?? String(err);
}
