import { writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from './log.js';

/** Where a started appliance can be reached. */
export interface ApplianceAddresses {
  proxyUrl: string;
  adminUrl: string;
  tokenFile: string;
  upstream: string;
  demo: boolean;
}

/** The file through which the CLI finds a running appliance (`<data-dir>/admin.json`). */
export function runtimeFilePath(dataDir: string): string {
  return path.join(dataDir, 'admin.json');
}

/**
 * Tells the running appliance's addresses: writes them with the pid to the runtime file (mode 0600)
 * for the CLI, warns when the admin UI/API listens beyond loopback, and logs the start.
 */
export async function announce(
  dataDir: string,
  adminHost: string,
  addresses: ApplianceAddresses,
  logger: Logger,
): Promise<void> {
  await writeFile(runtimeFilePath(dataDir), `${JSON.stringify({ pid: process.pid, ...addresses })}\n`, {
    mode: 0o600,
  });
  if (!isLoopback(adminHost)) {
    logger.warn(
      { 'server.address': adminHost },
      `the admin UI/API listens on ${adminHost}, not on loopback: anyone who can reach it only needs the token. It answers to IP-literal Host headers and to loopback names and --admin-hosts only`,
    );
  }
  logger.info({ 'url.full': addresses.proxyUrl, upstream: addresses.upstream }, 'ipwarden started');
}

/**
 * Starts `server` on host:port and resolves with its address.
 * @throws the listen error (EADDRINUSE, EACCES, …).
 */
export function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** `http://host:port` for a listening address; a wildcard address is given as loopback. */
export function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${address.port}`;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
