import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushRecords, startTestAppliance } from '../../helpers/appliance.js';
import { runCli } from '../../helpers/cli.js';
import { freePort } from '../../helpers/free-port.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (...args: string[]) => runCli(dir, ...args);

describe('ipwarden CLI while the appliance is stopped (works on the state file)', () => {
  it('refuses to block the admin address, as the running appliance does, unless forced', async () => {
    await writeFile(path.join(dir, 'ipwarden.config.json'), '{"admin": "192.0.2.50:8081"}');
    try {
      const refused = await run('block', '192.0.2.0/24');
      expect(refused.error?.message).toMatch(/would block your own address \(192\.0\.2\.50.*--force/);
      expect((await run('blocks', '--json')).out).toBe('[]\n');
      expect((await run('block', '192.0.2.0/24', '--force')).out).toContain('blocked 192.0.2.0/24');
    } finally {
      await rm(path.join(dir, 'ipwarden.config.json'));
    }
  });

  it('blocks, lists, unblocks and refuses bad addresses', async () => {
    expect((await run('block', '203.0.113.9', '--reason', 'scanner', '--for', '2h')).out).toContain(
      'blocked 203.0.113.9 until',
    );
    expect((await run('block', '2001:db8::/32')).out).toBe('blocked 2001:db8::/32\n');
    const list = await run('blocks');
    expect(list.out.split('\n')[0]).toMatch(/^TARGET\s+STATUS\s+CREATED\s+BY\s+REASON$/);
    expect(list.out).toContain('scanner');
    const asJson = JSON.parse((await run('blocks', '--json')).out) as { target: string }[];
    expect(asJson.map((b) => b.target)).toEqual(['2001:db8::/32', '203.0.113.9']);

    const bad = await run('block', '203.0.113.999');
    expect(bad.error?.message).toContain('203.0.113.999');
    const badFor = await run('block', '203.0.113.8', '--for', 'tomorrow');
    expect(badFor.error?.message).toContain('--for');
    // A bare number would be milliseconds: a block over before anyone sees it.
    expect((await run('block', '203.0.113.8', '--for', '90')).error?.message).toBe(
      '--for expects a duration with a unit like 30m, 12h or 7d, got "90"',
    );
    expect((await run('unblock', '203.0.113.9')).out).toBe('unblocked 203.0.113.9\n');
    expect((await run('unblock', '203.0.113.9')).error?.message).toContain('not on the blocklist');

    const state = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8')) as {
      blocks: unknown[];
      audit: { action: string; actor: string }[];
    };
    expect(state.blocks).toHaveLength(1);
    expect(state.audit.map((a) => a.action)).toEqual(['block', 'block', 'unblock']);
    expect(state.audit.every((a) => a.actor === 'cli')).toBe(true);
  });

  it('warns when an allowlisted address lies in a blocked range, which no longer applies to it', async () => {
    await run('block', '192.0.2.0/24');
    const allowed = await run('allow', '192.0.2.9');
    expect(allowed.out).toBe('allowlisted 192.0.2.9\n');
    expect(allowed.err).toContain(
      'warning: 192.0.2.0/24 is blocked; 192.0.2.9 is let through all the same (the allowlist wins over blocks)\n',
    );
    expect((await run('allow', '198.51.100.1')).err).not.toContain('warning');
    // A range allowlisted over blocks inside it: they no longer apply either.
    await run('block', '203.0.113.5');
    await run('block', '203.0.113.6', '--for', '1h');
    expect((await run('allow', '203.0.113.0/24')).err).toContain(
      'warning: 203.0.113.5, 203.0.113.6 are blocked; 203.0.113.0/24 is let through all the same',
    );
  });

  it('ui says how to start ipwarden on the data dir it was given', async () => {
    expect((await run('ui')).error?.message).toBe(
      `ipwarden is not running on ${dir}; start it with: npx ipwarden start --upstream http://<your site> --data-dir ${dir} (without --upstream it starts a demo site)`,
    );
  });

  it('says when a range was typed with host bits set, since the whole range is blocked', async () => {
    const hostBits = await run('block', '10.0.0.1/24');
    expect(hostBits.out).toBe('blocked 10.0.0.0/24\n');
    expect(hostBits.err).toContain('note: 10.0.0.1/24 is the range 10.0.0.0/24\n');
    expect((await run('allow', '192.0.2.77/30')).err).toContain(
      'note: 192.0.2.77/30 is the range 192.0.2.76/30\n',
    );
    expect((await run('block', '2001:DB8::/32')).err).not.toContain('note');
  });

  it('lists the newest blocks up to --limit and those matching --search, refusing a bad --limit', async () => {
    const blocks: [string, string][] = [
      ['192.0.2.1', 'scanner'],
      ['192.0.2.2', 'Credential stuffing'],
      ['192.0.2.3', 'scanner'],
    ];
    for (const [target, reason] of blocks) await run('block', target, '--reason', reason);
    const limited = await run('blocks', '--limit', '2', '--json');
    expect((JSON.parse(limited.out) as { target: string }[]).map((b) => b.target)).toEqual([
      '192.0.2.3',
      '192.0.2.2',
    ]);
    expect(limited.err).toBe('2 of 3 shown (--limit)\n');
    expect((await run('blocks', '--search', 'scan', '--limit', '1')).err).toBe(
      '1 of 2 matching shown (--limit)\n',
    );
    const table = await run('blocks', '--limit', '1');
    expect(table.out).toContain('192.0.2.3');
    expect(table.err).toBe('1 of 3 shown (--limit)\n');
    const found = await run('blocks', '--search', 'STUFFING');
    expect(found.out).toContain('192.0.2.2');
    expect(found.out).not.toContain('192.0.2.1');
    expect((await run('blocks', '--search', 'nothing')).out).toBe('No block matches "nothing".\n');
    expect((await run('blocks', '--search', '  ')).error?.message).toBe(
      '--search needs some text to look for',
    );
    for (const bad of ['0', '1001', '2.5', 'ten'])
      expect((await run('blocks', '--limit', bad)).error?.message).toContain(
        '--limit expects a whole number',
      );
  });

  it('creates a new data dir readable by its owner only, whichever command comes first', async () => {
    const fresh = path.join(dir, 'fresh');
    expect((await runCli(fresh, 'block', '192.0.2.1')).out).toBe('blocked 192.0.2.1\n');
    expect((await stat(fresh)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(fresh, 'state.json'))).mode & 0o777).toBe(0o600);
  });

  it('refuses --since and --until for the blocks and allowlist exports, which hold every entry', async () => {
    const refused = await run('export', 'blocks', '--since', '2026-01-01T00:00:00Z');
    expect(refused.error?.message).toBe('--since does not apply to the blocks export (it holds every entry)');
    const allow = await run('export', 'allowlist', '--until', '2026-01-01T00:00:00Z');
    expect(allow.error?.message).toBe(
      '--until does not apply to the allowlist export (it holds every entry)',
    );
  });

  it('refuses a --since that is not ISO 8601, a range that ends before it starts, and --out DIR/ that is no directory', async () => {
    const loose = await run('export', 'requests', '--format', 'csv', '--since', 'Dec 7');
    expect(loose.error?.message).toBe(
      '--since expects an ISO 8601 time like 2026-01-31T12:00:00Z, got "Dec 7"',
    );
    const backwards = await run('export', 'flags', '--since', '2026-02-01', '--until', '2026-01-01');
    expect(backwards.error?.message).toBe('--until must be after --since');
    const monitor = await run('monitor', '--since', '2026-02-30T00:00:00Z', '--dry-run');
    expect(monitor.error?.message).toBe('--since expects an ISO 8601 time, got "2026-02-30T00:00:00Z"');
    const missingDir = await run('export', 'blocks', '--format', 'csv', '--out', 'no-such-dir/');
    expect(missingDir.error?.message).toBe(
      `--out: ${path.join(dir, 'no-such-dir')} is not an existing directory`,
    );
    await expect(stat(path.join(dir, 'no-such-dir'))).rejects.toThrow('ENOENT');
  });

  it('says what to do when the blocklist is empty', async () => {
    expect((await run('blocks')).out).toContain('The blocklist is empty');
    expect((await run('blocks', '--search', 'x')).out).toContain('The blocklist is empty');
  });

  it('exports blocks and the allowlist as CSV to a file', async () => {
    await run('block', '198.51.100.0/24', '--reason', '=cmd|calc');
    await run('export', 'blocks', '--format', 'csv', '--out', 'blocks.csv');
    const csv = await readFile(path.join(dir, 'blocks.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe('target,reason,createdAt,createdBy,expiresAt,expired');
    expect(csv).toContain("'=cmd|calc");
    expect((await run('export', 'nope')).error?.message).toContain('requests, flags, blocks or allowlist');
    await run('allow', '192.0.2.10', '--reason', '@monitor');
    await run('export', 'allowlist', '--format', 'csv', '--out', 'allowlist.csv');
    expect((await readFile(path.join(dir, 'allowlist.csv'), 'utf8')).split('\n')).toEqual([
      'target,reason,createdAt,createdBy',
      expect.stringMatching(/^192\.0\.2\.10,'@monitor,\d{4}-\d\d-\d\dT[\d:.]+Z,cli$/),
      '',
    ]);
    expect((await run('export', 'blocks', '--format', 'xml')).error?.message).toContain('--format');
  });

  it('names the bad field and its source for invalid configuration', async () => {
    await writeFile(path.join(dir, 'ipwarden.config.json'), JSON.stringify({ listen: 'nowhere' }));
    const result = await run('blocks');
    expect(result.error?.message).toContain('listen (from config file');
    expect(result.error?.message).toContain('HOST:PORT');
  });
});

describe('ipwarden monitor', () => {
  it('runs the monitor over a past range from the log; --dry-run changes nothing', async () => {
    const { createRequestLog } = await import('../../../server/store/index.js');
    const { record } = await import('../../helpers/records.js');
    const log = await createRequestLog({ dir: path.join(dir, 'requests') });
    const hour = Date.parse('2026-02-01T12:00:00Z');
    for (let i = 0; i < 12; i++)
      log.append(record('198.51.100.20', hour + i * 1000, { path: '/wp-login.php' }));
    await log.close();
    await run('blocks'); // creates the state file
    const before = await readFile(path.join(dir, 'state.json'));

    const dry = await run(
      'monitor',
      '--task',
      'monitor',
      '--since',
      '2026-02-01T12:00:00Z',
      '--until',
      '2026-02-01T13:00:00Z',
      '--dry-run',
    );
    expect(dry.error).toBeUndefined();
    expect(dry.out).toContain('monitor (dry run): ok');
    expect(dry.out).toMatch(/198\.51\.100\.20\s+sensitive_paths\s+12 > 5/);
    expect((await readFile(path.join(dir, 'state.json'))).equals(before)).toBe(true);

    const real = await run(
      'monitor',
      '--task',
      'monitor',
      '--since',
      '2026-02-01T12:00:00Z',
      '--until',
      '2026-02-01T13:00:00Z',
      '--json',
    );
    const runs = JSON.parse(real.out) as {
      outcome: string;
      summary: { findings: { ip: string; reason: string }[] };
    }[];
    expect(runs[0]?.summary.findings).toEqual([
      expect.objectContaining({ ip: '198.51.100.20', reason: 'sensitive_paths' }),
    ]);
    const state = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8')) as {
      flags: { ip: string; is_active: boolean }[];
    };
    expect(state.flags).toEqual([expect.objectContaining({ ip: '198.51.100.20', is_active: true })]);

    expect((await run('monitor', '--task', 'nope')).error?.message).toContain('--task');
    expect((await run('monitor', '--since', 'yesterday')).error?.message).toContain('--since');
  });
});

describe('ipwarden CLI while the appliance runs (goes through the admin API)', () => {
  it('blocks take effect on the next request and land in the running appliance', async () => {
    const app = await startTestAppliance({}, dir);
    try {
      expect((await app.proxy('/')).status).toBe(200);
      const refused = await run('block', '127.0.0.1', '--reason', 'cli test');
      expect(refused.error?.message).toMatch(
        /blocking 127\.0\.0\.1 would block your own address \(127\.0\.0\.0\/8.*--force/,
      );
      expect(app.appliance.parts.accessLists.listBlocks()).toEqual([]);
      const forced = await run('block', '127.0.0.1', '--reason', 'cli test', '--force');
      expect(forced.out).toContain('blocked 127.0.0.1');
      expect(forced.err).toContain('warning: 127.0.0.1 includes your own address (127.0.0.0/8)');
      expect((await app.proxy('/')).status).toBe(403);
      expect(app.appliance.parts.accessLists.listBlocks()[0]).toMatchObject({
        target: '127.0.0.1',
        createdBy: 'cli',
      });
      await run('block', '192.0.2.9', '--reason', 'second');
      const viaApi = await run('blocks', '--limit', '1', '--search', 'SECOND');
      expect(viaApi.out).toContain('192.0.2.9');
      expect(viaApi.out).not.toContain('127.0.0.1');
      expect((await run('unblock', '192.0.2.9')).out).toBe('unblocked 192.0.2.9\n');
      expect((await run('unblock', '127.0.0.1')).out).toBe('unblocked 127.0.0.1\n');
      expect((await app.proxy('/')).status).toBe(200);
      await flushRecords(app.appliance);
      await run('export', 'requests', '--format', 'ndjson', '--out', 'requests.ndjson');
      const lines = (await readFile(path.join(dir, 'requests.ndjson'), 'utf8')).trim().split('\n');
      expect(
        lines.map(
          (l) => (JSON.parse(l) as { http: { response: { status_code: number } } }).http.response.status_code,
        ),
      ).toEqual([200, 403, 200]);
    } finally {
      await app.stop();
    }
  });

  it('status says where the running ipwarden listens, and that none runs once it stopped', async () => {
    const app = await startTestAppliance({}, dir);
    try {
      const status = await run('status');
      expect(status.error).toBeUndefined();
      expect(status.out.split('\n')).toEqual([
        expect.stringMatching(new RegExp(`^ipwarden \\S+ is running on ${dir}: ok$`)),
        `proxy  ${app.addresses.proxyUrl.replace(/\/$/, '')}`,
        `admin  ${app.addresses.adminUrl} (the sign-in link: ipwarden ui)`,
        '',
      ]);
      const json = JSON.parse((await run('status', '--json')).out) as Record<string, unknown>;
      expect(json).toMatchObject({
        running: true,
        responding: true,
        status: 'ok',
        adminUrl: app.addresses.adminUrl,
        problems: [],
      });
    } finally {
      await app.stop();
    }
    const stopped = await run('status', '--json');
    expect(stopped.error?.message).toBe(`ipwarden is not running on ${dir}`);
    expect(JSON.parse(stopped.out)).toEqual({ running: false, dataDir: dir });
  });

  it('status --json says so when the process runs but its admin API does not answer', async () => {
    // This process stands for a hung ipwarden: alive, with nothing listening at its admin address.
    const adminUrl = `http://127.0.0.1:${await freePort()}`;
    await writeFile(path.join(dir, 'admin.json'), JSON.stringify({ pid: process.pid, adminUrl }));
    await writeFile(path.join(dir, 'admin-token'), 'x'.repeat(43));
    const status = await run('status', '--json');
    expect(JSON.parse(status.out)).toMatchObject({ running: true, responding: false, dataDir: dir });
    expect(status.error?.message).toContain(`its admin API at ${adminUrl} does not answer`);
  });

  it('status prints the problems the running ipwarden reports, and fails', async () => {
    await writeFile(path.join(dir, 'state.json.corrupt-2026-12-01T10-00-00-000Z'), 'not json');
    const app = await startTestAppliance({}, dir);
    try {
      const status = await run('status');
      expect(status.out).toMatch(/: degraded\n/);
      expect(status.out).toContain('problem: a corrupt state file is kept aside at');
      expect(status.error?.message).toBe('ipwarden reports a problem (above)');
    } finally {
      await app.stop();
    }
  });
});

describe('ipwarden start', () => {
  it('starts with the demo site, prints where things are, and on SIGTERM flushes the log and exits 0', async () => {
    const root = path.resolve(import.meta.dirname, '../../..');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(root, 'server/cli/main.ts'),
        'start',
        '--data-dir',
        dir,
        '--listen',
        '127.0.0.1:0',
        '--admin',
        '127.0.0.1:0',
        '--log-level',
        'warn',
      ],
      { cwd: root, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while (!stdout.includes('data dir')) {
      if (child.exitCode !== null) throw new Error(`ipwarden exited early: ${stdout}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(stdout).toContain('built-in demo site; sign in with demo / demo');
    expect(stdout).toContain(path.join(dir, 'admin-token'));
    // Not the default ./data: the hint names the data dir, or `ipwarden ui` would look elsewhere.
    expect(stdout).toContain(`(sign-in link: npx ipwarden ui --data-dir ${dir})`);
    const proxyUrl = /proxy\s+(http:\/\/\S+)/.exec(stdout)?.[1] as string;
    const home = await fetch(proxyUrl);
    expect(await home.text()).toContain('Demo site behind ipwarden');
    const failed = await fetch(new URL('/login', proxyUrl), {
      method: 'POST',
      body: new URLSearchParams({ username: 'demo', password: 'wrong' }),
    });
    expect(failed.status).toBe(401);
    const ok = await fetch(new URL('/login', proxyUrl), {
      method: 'POST',
      body: new URLSearchParams({ username: 'demo', password: 'demo' }),
      redirect: 'manual',
    });
    expect(ok.status).toBe(302);
    expect((await fetch(new URL('/admin', proxyUrl))).status).toBe(403);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const segments = await import('node:fs/promises').then((fs) => fs.readdir(path.join(dir, 'requests')));
    const logged = (await readFile(path.join(dir, 'requests', segments[0] as string), 'utf8'))
      .trim()
      .split('\n');
    expect(logged).toHaveLength(4);
  });
});
