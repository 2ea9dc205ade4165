import http from 'node:http';
import type { CombinedLine } from './combined-log.js';

/**
 * Replays access-log lines through the proxy at `proxyUrl` with `concurrency` keep-alive
 * connections, each client IP sent as X-Forwarded-For (the proxy must trust loopback).
 */
export async function replay(
  lines: readonly CombinedLine[],
  proxyUrl: string,
  concurrency = 16,
): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const { hostname, port } = new URL(proxyUrl);
  let next = 0;
  const worker = async () => {
    while (next < lines.length) {
      const line = lines[next++] as CombinedLine;
      await new Promise<void>((resolve, reject) => {
        const req = http.request(
          {
            hostname,
            port,
            agent,
            method: line.method,
            path: line.path,
            headers: { 'x-forwarded-for': line.ip, 'user-agent': line.userAgent, referer: line.referrer },
          },
          (res) => {
            res.resume();
            res.on('end', resolve);
          },
        );
        req.on('error', reject);
        req.end();
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
}

/** One request through the proxy as `ip` (X-Forwarded-For); resolves the status. */
export function sendAs(
  proxyUrl: string,
  ip: string,
  path: string,
  options: { method?: string; userAgent?: string } = {},
): Promise<number> {
  const { hostname, port } = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        hostname,
        port,
        method: options.method ?? 'GET',
        path,
        headers: { 'x-forwarded-for': ip, ...(options.userAgent ? { 'user-agent': options.userAgent } : {}) },
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
