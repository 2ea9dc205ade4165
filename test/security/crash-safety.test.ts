import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRecords, startTestAppliance } from '../helpers/appliance.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

const FLUSH_INTERVAL_MS = 200;
/** One segment write after the timer fires; the bound is "the last flush interval" plus this. */
const WRITE_SLACK_MS = 100;
const LOAD_MS = 1_500;
const MAX_LOAD_MS = 15_000;
/** Acknowledged block/unblock commands needed before the kill, so the check below means something. */
const MIN_ACKNOWLEDGED = 30;
const ROOT = path.resolve(import.meta.dirname, '../..');

async function waitForFile(file: string, ms = 15_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Lines of every request-log segment, and which of them do not parse as JSON. */
async function segmentLines(dataDir: string) {
  const dir = path.join(dataDir, 'requests');
  const lines: string[] = [];
  const torn: string[] = [];
  for (const file of (await readdir(dir)).sort()) {
    const text = await readFile(path.join(dir, file), 'utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      lines.push(line);
      try {
        JSON.parse(line);
      } catch {
        torn.push(line);
      }
    }
  }
  return { lines, torn };
}

describe('crash safety (kill -9 under load)', () => {
  let upstream: TestUpstream;
  let dataDir: string;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    upstream = await startUpstream();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-crash-'));
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await upstream?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged block/unblock and loses at most the last flush interval of the request log', async () => {
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'server/cli/main.ts',
        'start',
        '--upstream',
        upstream.url.href,
        '--listen',
        '127.0.0.1:0',
        '--admin',
        '127.0.0.1:0',
        '--data-dir',
        dataDir,
        '--flush-interval',
        `${FLUSH_INTERVAL_MS}ms`,
        '--log-level',
        'silent',
      ],
      { cwd: ROOT, stdio: 'ignore' },
    );
    const runtime = JSON.parse(await waitForFile(path.join(dataDir, 'admin.json'))) as {
      proxyUrl: string;
      adminUrl: string;
    };
    const token = (await readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim();
    const admin = (pathname: string, init: RequestInit) =>
      fetch(new URL(pathname, runtime.adminUrl), {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });

    let stopping = false;
    const answered = new Map<string, number>(); // path → when the client had the whole answer
    const load = async (worker: number) => {
      for (let i = 0; !stopping; i++) {
        const pathname = `/load/${worker}/${i}`;
        try {
          const res = await fetch(new URL(pathname, runtime.proxyUrl));
          await res.text();
          if (res.status === 200) answered.set(pathname, Date.now());
        } catch {
          return; // the appliance was killed
        }
      }
    };
    /** Expected final state of each target whose last command was acknowledged (true = blocked). */
    const expected = new Map<string, boolean>();
    const unsure = new Set<string>();
    const commands = async () => {
      for (let i = 0; !stopping; i++) {
        const target = `10.9.${Math.floor(i / 200)}.${i % 200}`;
        for (const [method, blocked] of [
          ['POST', true],
          ['DELETE', false],
          ['POST', true],
        ] as const) {
          if (blocked === false && i % 2 === 0) continue; // half the targets end blocked
          unsure.add(target);
          try {
            const res =
              method === 'POST'
                ? await admin('/api/blocks', { method, body: JSON.stringify({ target, reason: 'crash' }) })
                : await admin(`/api/blocks/${encodeURIComponent(target)}`, { method });
            if (res.ok) {
              expected.set(target, blocked);
              unsure.delete(target);
            }
          } catch {
            return;
          }
          if (blocked === true && method === 'POST' && i % 2 === 1) break; // odd targets: block, unblock
        }
      }
    };
    const running = [...Array.from({ length: 8 }, (_, w) => load(w)), commands()];
    // Load for LOAD_MS, and on a busy machine on until enough commands were acknowledged to check
    // (at most MAX_LOAD_MS): the count, not the clock, is what the assertions below need.
    const loadStarted = Date.now();
    while (
      Date.now() - loadStarted < MAX_LOAD_MS &&
      (Date.now() - loadStarted < LOAD_MS ||
        [...expected.keys()].filter((t) => !unsure.has(t)).length < MIN_ACKNOWLEDGED)
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const killedAt = Date.now();
    child.kill('SIGKILL');
    stopping = true;
    await new Promise((r) => child?.once('exit', r));
    await Promise.all(running);

    // Before any restart: only a segment's last line may be torn.
    const atCrash = await segmentLines(dataDir);
    expect(atCrash.torn.length).toBeLessThanOrEqual(1);
    if (atCrash.torn.length === 1) expect(atCrash.lines.at(-1)).toBe(atCrash.torn[0]);
    const stateText = await readFile(path.join(dataDir, 'state.json'), 'utf8');
    expect(() => JSON.parse(stateText)).not.toThrow();

    const app = await startTestAppliance({ upstream: upstream.url.href }, dataDir);
    try {
      expect(app.appliance.parts.state.corruption).toBeNull();
      expect((await readdir(dataDir)).filter((f) => f.includes('.corrupt-'))).toEqual([]);
      const blocks = JSON.stringify(await (await app.admin('/api/blocks')).json());
      let checked = 0;
      for (const [target, blocked] of expected) {
        if (unsure.has(target)) continue;
        expect(blocks.includes(`"target":"${target}"`), `${target} blocked=${blocked}`).toBe(blocked);
        checked++;
      }
      expect(checked).toBeGreaterThan(20);

      // The restart's first write starts on a fresh line: a torn tail stays one skipped line, never two.
      expect((await app.proxy('/after-restart')).status).toBe(200);
      const records = await allRecords(app);
      const afterRestart = await segmentLines(dataDir);
      expect(afterRestart.torn).toEqual(atCrash.torn);
      expect(app.appliance.parts.requestLog.stats().skippedLines).toBe(atCrash.torn.length);
      expect(records.at(-1)?.url.path).toBe('/after-restart');

      const logged = new Set(records.map((r) => r.url.path));
      const mustHave = [...answered].filter(([, at]) => at < killedAt - FLUSH_INTERVAL_MS - WRITE_SLACK_MS);
      const lost = [...answered.keys()].filter((p) => !logged.has(p));
      const lostEarly = mustHave.filter(([p]) => !logged.has(p));
      console.log(
        'crash figures',
        JSON.stringify({
          answered: answered.size,
          logged: logged.size - 1,
          lost: lost.length,
          mustHave: mustHave.length,
          lostEarly: lostEarly.length,
          acknowledgedCommands: expected.size,
          tornLines: atCrash.torn.length,
        }),
      );
      expect(answered.size).toBeGreaterThan(200);
      expect(lostEarly).toEqual([]);
    } finally {
      await app.stop();
    }
  }, 60_000);
});
