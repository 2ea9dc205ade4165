import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { runCli } from '../helpers/cli.js';

/**
 * Every state-changing admin route (and every query-taking read) refuses bad input with a 4xx that
 * names the field, and a refused request changes nothing: the state in memory and on disk are
 * byte-identical before and after.
 */
let app: TestAppliance;

beforeAll(async () => {
  app = await startTestAppliance({ schedule: false });
  // Something to change, so "unchanged" means something.
  const made = await app.admin('/api/blocks', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ target: '198.51.100.0/24', reason: 'seed', duration: '1d' }),
  });
  expect(made.status).toBe(201);
});
afterAll(() => app?.stop());

type Case = [method: string, route: string, body: unknown, field: string, status?: number];

const long = 'x'.repeat(501);
const CASES: Case[] = [
  ['POST', '/api/blocks', {}, '"target"'],
  ['POST', '/api/blocks', { target: 5 }, '"target"'],
  ['POST', '/api/blocks', { target: 'not-an-ip' }, 'target must be an IP address or CIDR range'],
  ['POST', '/api/blocks', { target: '10.0.0.0/33' }, 'target must be an IP address or CIDR range'],
  ['POST', '/api/blocks', { target: '203.0.113.1', duration: 'soon' }, '"duration"'],
  ['POST', '/api/blocks', { target: '203.0.113.1', duration: -5 }, '"duration"'],
  // Text without a unit, as the CLI's --for refuses it: "10" meant as days was a block of 10 ms.
  ['POST', '/api/blocks', { target: '203.0.113.1', duration: '10' }, 'with a unit like 30m'],
  // Ends after the year 9999, which the state's four-digit ISO years cannot hold (once a 500).
  ['POST', '/api/blocks', { target: '203.0.113.1', duration: '500000w' }, 'before the year 10000'],
  ['POST', '/api/blocks', { target: '203.0.113.1', duration: `1${' '.repeat(30_000)}x` }, '"duration"'],
  ['POST', '/api/blocks', { target: '203.0.113.1', reason: long }, '"reason"'],
  ['POST', '/api/blocks', { target: '203.0.113.1', extra: true }, '"extra"'],
  ['POST', '/api/blocks', [], '"body"'],
  ['POST', '/api/blocks?force=maybe', { target: '203.0.113.1' }, '"force"'],
  ['POST', '/api/blocks?forse=1', { target: '203.0.113.1' }, '"forse"'],
  ['POST', '/api/blocks', { target: '127.0.0.0/8' }, 'would block your own address', 409],
  ['DELETE', '/api/blocks/not-an-ip', undefined, 'target must be an IP address or CIDR range'],
  ['DELETE', '/api/blocks/10.0.0.0%2F33', undefined, 'target must be an IP address or CIDR range'],
  ['DELETE', '/api/blocks/203.0.113.99', undefined, 'not on the blocklist', 404],
  ['POST', '/api/allowlist', {}, '"target"'],
  ['POST', '/api/allowlist', { target: '::1', note: 'x' }, '"note"'],
  ['POST', '/api/allowlist', { target: '999.1.1.1' }, 'target must be an IP address or CIDR range'],
  ['DELETE', '/api/allowlist/garbage', undefined, 'target must be an IP address or CIDR range'],
  ['POST', '/api/flags/garbage/dismiss', undefined, '"ip"'],
  ['POST', '/api/jobs/monitor/run?dryRun=perhaps', undefined, '"dryRun"'],
  ['POST', '/api/jobs/monitor/run?since=yesterday', undefined, '"since"'],
  ['POST', '/api/jobs/monitor/run?dryrun=1', undefined, '"dryrun"'],
  ['POST', '/api/jobs/cleanup/run?since=2026-01-01', undefined, 'since/until'],
  ['POST', '/api/jobs/rm-rf/run', undefined, 'unknown job', 404],
  [
    'PUT',
    '/api/settings',
    { detection: { thresholds: { high_volume: -1 } } },
    'detection.thresholds.high_volume',
  ],
  ['PUT', '/api/settings', { detection: { sensitivePaths: ['(a+)+$'] } }, 'detection.sensitivePaths'],
  [
    'PUT',
    '/api/settings',
    { rateLimits: [{ name: 'x', paths: ['nope'], anonymous: { max: 1, period: '1m' } }] },
    'rateLimits.0.paths',
  ],
  ['PUT', '/api/settings', { trustProxy: '10.0.0.0/33' }, 'trustProxy'],
  // A lifetime no block could be stored with (past the year 9999): every auto-block failed with it.
  ['PUT', '/api/settings', { detection: { autoBlockFor: '3000000d' } }, 'at most 100 years'],
  ['PUT', '/api/settings', { bogus: 1 }, 'bogus'],
  ['PUT', '/api/settings', 'not an object', 'invalid body'],
  ['PUT', '/api/settings', [1, 2], '(root)'],
  ['GET', '/api/requests?status=abc', undefined, '"status"'],
  ['GET', '/api/requests?limit=0', undefined, '"limit"'],
  ['GET', '/api/requests?since=garbage', undefined, '"since"'],
  ['GET', '/api/requests?country=GBR', undefined, '"country"'],
  ['GET', '/api/requests?action=allowed2', undefined, '"action"'],
  ['GET', '/api/requests?cursor=%00%01', undefined, 'cursor'],
  ['GET', '/api/requests?stauts=200', undefined, '"stauts"'],
  ['GET', '/api/requests?ip=10.0.0.300', undefined, '"ip"'],
  ['GET', '/api/flags?ip=garbage', undefined, '"ip"'],
  ['GET', '/api/stats?top=1000', undefined, '"top"'],
  ['GET', '/api/stats?bucket=week', undefined, '"bucket"'],
  ['GET', '/api/flags?active=yes', undefined, '"active"'],
  ['GET', '/api/flags?reason=evil', undefined, '"reason"'],
  ['GET', '/api/export/requests?format=xls', undefined, '"format"'],
  ['GET', '/api/export/requests?ip=203.0.113.7&limit=5', undefined, '"limit"'],
  ['GET', '/api/ips/garbage', undefined, '"ip"'],
];

async function snapshot(): Promise<string> {
  const file = await readFile(path.join(app.dataDir, 'state.json'), 'utf8');
  return `${JSON.stringify(app.appliance.parts.state.data)}\n${file}`;
}

describe('bad input to the admin API', () => {
  it.each(CASES)(
    '%s %s %j → names %s and changes nothing',
    async (method, route, body, field, status = 400) => {
      const before = await snapshot();
      const res = await app.admin(route, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const payload = (await res.json()) as { error?: { status: number; message: string } };
      expect(res.status).toBe(status);
      expect(payload.error?.status).toBe(status);
      expect(payload.error?.message).toContain(field);
      expect(await snapshot()).toBe(before);
    },
  );

  it('refuses a body that is not JSON, or too large, and changes nothing', async () => {
    const before = await snapshot();
    for (const [body, status] of [
      ['{"target": "203.0.113.1"', 400],
      [JSON.stringify({ target: '203.0.113.1', reason: 'x'.repeat(70_000) }), 413],
    ] as const) {
      const res = await app.admin('/api/blocks', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: { status: number } }).error.status).toBe(status);
    }
    expect(await snapshot()).toBe(before);
  });
});

describe('bad CLI arguments', () => {
  const CLI_CASES: [args: string[], named: string][] = [
    [['block', '10.0.0.300'], 'target must be an IP address'],
    [['block', '203.0.113.1', '--for', '0'], '--for'],
    [['block', '203.0.113.1', '--for', `1${' '.repeat(40)}d`], '--for'],
    [['block', '127.0.0.1'], '--force'],
    [['unblock', '2001:db8::/129'], 'target must be an IP address'],
    [['allow', 'localhost'], 'target must be an IP address'],
    [['export', 'requests', '--format', 'xlsx'], '--format'],
    [['export', 'requests', '--since', 'last tuesday'], '--since'],
    [['export', 'passwords'], 'requests, flags, blocks or allowlist'],
    [['monitor', '--task', 'rm'], '--task'],
    [['monitor', '--task', 'cleanup', '--since', '2026-01-01T00:00:00Z'], '--since'],
    [['start', '--listen', '8080'], 'listen (from --listen)'],
    [['start', '--forwarded-header', 'x-real-ip'], 'forwardedHeader (from --forwarded-header)'],
    [['start', '--headers-timeout', '5 minutes'], 'headersTimeout (from --headers-timeout)'],
    [['start', '--admin-hosts', 'a/b'], 'adminHosts.0 (from --admin-hosts)'],
  ];

  it.each(CLI_CASES)('ipwarden %j names %s and changes nothing', async (args, named) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-cli-bad-'));
    try {
      await runCli(dir, 'block', '198.51.100.0/24'); // a state to keep
      const before = await readFile(path.join(dir, 'state.json'), 'utf8');
      const run = await runCli(dir, ...args);
      expect(run.error?.message).toContain(named);
      expect(await readFile(path.join(dir, 'state.json'), 'utf8')).toBe(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
