import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allRecords, startTestAppliance } from '../../helpers/appliance.js';
import { runCli } from '../../helpers/cli.js';
import { APACHE_LOGS } from '../../helpers/combined-log.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-cli-import-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (...args: string[]) => runCli(dir, ...args);

describe('ipwarden import', () => {
  it('prints a summary with the first rejections, JSON with --json, and nothing on stderr off a TTY', async () => {
    const file = path.join(dir, 'mixed.log');
    await writeFile(
      file,
      '1.2.3.4 - - [01/Jan/2024:00:00:01 +0000] "GET / HTTP/1.1" 200 1 "-" "ua"\nnot a log line\n',
    );
    const text = await run('import', file, '--format', 'combined');
    expect(text.error).toBeUndefined();
    expect(text.out).toMatch(/lines read\s+2\n\s+imported\s+1\n\s+duplicates skipped\s+0\n\s+rejected\s+1/);
    expect(text.out).toContain('line 2: not combined format');
    expect(text.out).toMatch(
      /warning: records before \d{4}-\d\d-\d\d are older than the 90-day retention: the retention job deletes them at its next run \(00:30 UTC\); raise detection.retention/,
    );
    expect(text.err).toBe('');
    // Records within the retention get no warning.
    const recent = path.join(dir, 'recent.log');
    const stamp = new Date()
      .toUTCString()
      .replace(/^\w+, (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$1/$2/$3:$4 +0000');
    await writeFile(recent, `1.2.3.5 - - [${stamp}] "GET / HTTP/1.1" 200 1 "-" "ua"\n`);
    const fresh = await run('import', recent, '--format', 'combined');
    expect(fresh.out).toMatch(/imported\s+1\n/);
    expect(fresh.out).not.toContain('warning');

    const json = JSON.parse((await run('import', APACHE_LOGS.pathname, '--json')).out) as Record<
      string,
      unknown
    >;
    expect(json).toMatchObject({ format: 'combined', linesRead: 10_000, imported: 10_000, rejected: 0 });
  });

  it('exits with an error after the summary when every line was rejected', async () => {
    const file = path.join(dir, 'combined.log');
    await writeFile(file, '1.2.3.4 - - [01/Jan/2024:00:00:01 +0000] "GET / HTTP/1.1" 200 1 "-" "ua" extra\n');
    const result = await run('import', file, '--format', 'nginx-json');
    expect(result.out).toMatch(/rejected\s+1/);
    expect(result.error?.message).toBe(
      'every line was rejected (1); is the log in nginx-json format? Name another with --format',
    );
  });

  it('refuses bad input with a message saying what is expected', async () => {
    expect((await run('import', 'x.log', '--format', 'xml')).error?.message).toContain('--format expects');
    expect((await run('import', 'missing.log')).error?.message).toContain('cannot read missing.log');
  });

  it('imports through the running appliance’s admin API, deduplicated, and says when one is busy', async () => {
    const app = await startTestAppliance({}, dir);
    try {
      const first = await run('import', APACHE_LOGS.pathname, '--json');
      expect(first.error).toBeUndefined();
      expect(JSON.parse(first.out)).toMatchObject({ format: 'combined', imported: 10_000, rejected: 0 });
      const records = await allRecords(app);
      expect(records).toHaveLength(10_000);
      expect(new Set(records.map((r) => r.source.ip)).size).toBe(1753);
      expect((await run('import', 'missing.log')).error?.message).toContain('cannot read missing.log');
      const again = await run('import', APACHE_LOGS.pathname);
      expect(again.out).toMatch(/imported\s+0\n\s+duplicates skipped\s+10,000/);

      // An upload that has not finished holds the one import slot.
      let release: () => void = () => undefined;
      const stalled = app.admin('/api/import?name=slow.log', {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(new TextEncoder().encode('garbage\n'));
            await new Promise<void>((resolve) => {
              release = resolve;
            });
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      for (let i = 0; i < 100; i++) {
        const { imports } = (await (await app.admin('/api/imports')).json()) as {
          imports: { state: string }[];
        };
        if (imports.some((j) => j.state === 'running')) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect((await run('import', APACHE_LOGS.pathname)).error?.message).toMatch(
        /already running \(slow\.log/,
      );
      release();
      expect((await stalled).status).toBe(422); // one garbage line: no format to tell
    } finally {
      await app.stop();
    }
  });
});
