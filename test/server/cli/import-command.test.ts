import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestAppliance } from '../../helpers/appliance.js';
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
    expect(text.err).toBe('');

    const json = JSON.parse((await run('import', APACHE_LOGS.pathname, '--json')).out) as Record<
      string,
      unknown
    >;
    expect(json).toMatchObject({ format: 'combined', linesRead: 10_000, imported: 10_000, rejected: 0 });
  });

  it('refuses bad input and a running appliance with a message saying what to do', async () => {
    expect((await run('import', 'x.log', '--format', 'xml')).error?.message).toContain('--format expects');
    expect((await run('import', 'missing.log')).error?.message).toContain('cannot read missing.log');
    const app = await startTestAppliance({}, dir);
    try {
      expect((await run('import', APACHE_LOGS.pathname)).error?.message).toMatch(/is running.*stop it/);
    } finally {
      await app.stop();
    }
  });
});
