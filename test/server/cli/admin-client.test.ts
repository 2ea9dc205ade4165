import { readdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { adminTokenPath } from '../../../server/admin/auth.js';
import { runtimeFilePath } from '../../../server/appliance-addresses.js';
import { CliError, makeClient } from '../../../server/cli/admin-client.js';
import { runCli } from '../../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';

async function* chunks(count: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < count; i++) {
    yield Buffer.alloc(64 * 1024, 120);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the CLI admin client when the appliance goes away', () => {
  it('says it lost the appliance, naming it, instead of a bare "fetch failed"', async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));
    const client = makeClient(`http://127.0.0.1:${port}`, 'token');
    const err = await client.json('GET', '/api/blocks').catch((e: Error) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toBe(
      `lost the running ipwarden at http://127.0.0.1:${port} (ECONNREFUSED); check that it is still running, then try again`,
    );
  });

  it('says so too when the connection breaks off in the middle of an upload', async () => {
    // An appliance that stops while an import is being uploaded: the socket closes under the body.
    const server = http.createServer((req) => req.once('data', () => req.socket.destroy()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const client = makeClient(`http://127.0.0.1:${port}`, 'token');
      const err = await client.upload('/api/import', chunks(50)).catch((e: Error) => e);
      expect(err).toBeInstanceOf(CliError);
      expect((err as Error).message).toMatch(
        /^lost the running ipwarden at http:\/\/127\.0\.0\.1:\d+ \(.+\); check/,
      );
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('says so when an export breaks off half-sent, and leaves no file', async () => {
    // An appliance that answers health, then stops in the middle of an export.
    const server = http.createServer((req, res) => {
      if (req.url === '/api/health') return void res.end('{"status":"ok"}');
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"event":{"id":"1"}}\n');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const { dir, cleanup } = await makeTempDir();
    try {
      await writeFile(
        runtimeFilePath(dir),
        JSON.stringify({ pid: process.pid, adminUrl: `http://127.0.0.1:${port}` }),
      );
      await writeFile(adminTokenPath(dir), 'token');
      const run = await runCli(dir, 'export', 'requests', '--format', 'ndjson', '--out', 'out.ndjson');
      expect(run.error?.message).toMatch(
        /^lost the running ipwarden at http:\/\/127\.0\.0\.1:\d+ in the middle of the export \(.+\); nothing was written, try again$/,
      );
      expect((await readdir(dir)).filter((f) => f.startsWith('out'))).toEqual([]);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await cleanup();
    }
  });
});
