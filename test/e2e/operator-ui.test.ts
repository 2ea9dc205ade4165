import { readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Dialog, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushRecords, startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { launchChromium, SCREENSHOTS } from '../helpers/browser.js';
import { APACHE_LOGS, type CombinedLine, parseCombined } from '../helpers/combined-log.js';
import { replay, sendAs } from '../helpers/replay.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/**
 * The operator UI in real Chromium against a real appliance that has seen the shared access log
 * (10,000 real requests) replayed through its proxy.
 */
let upstream: TestUpstream;
let app: TestAppliance;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
/** Answers the page's dialogs while a test expects them; otherwise a dialog is a page error. */
let onDialog: ((dialog: Dialog) => Promise<void>) | undefined;

const shot = (name: string) =>
  page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  upstream = await startUpstream();
  app = await startTestAppliance({ upstream: upstream.url.href, trustProxy: 'loopback', schedule: false });
  const lines = readFileSync(APACHE_LOGS, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => parseCombined(l) as CombinedLine);
  await replay(lines, app.addresses.proxyUrl);
  await flushRecords(app.appliance);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('dialog', (dialog) => {
    if (onDialog) return void onDialog(dialog);
    pageErrors.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await upstream?.close();
});

describe('operator UI', () => {
  it('signs in from the link without keeping the token in the address bar', async () => {
    await page.goto(app.addresses.adminUrl);
    await page.getByLabel('Admin token').waitFor();
    // No live feed before signing in, so no "Offline" badge beside the form.
    expect(await page.getByTestId('live-indicator').isVisible()).toBe(false);
    await page.goto(`${app.addresses.adminUrl}/#token=${app.appliance.parts.token}`);
    await page.locator('#shell').waitFor({ state: 'visible' });
    expect(await page.getByTestId('live-indicator').isVisible()).toBe(true);
    expect(page.url()).not.toContain(app.appliance.parts.token);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'ipwarden_session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });
    expect(
      await page.evaluate('JSON.stringify(localStorage) + JSON.stringify(sessionStorage)'),
    ).not.toContain(app.appliance.parts.token);
  });

  it('draws the dashboard: the map and charts with the replayed countries', async () => {
    await page.goto(`${app.addresses.adminUrl}/#/dashboard`);
    const map = page.locator('[data-testid="chart-world-map"][data-rendered="true"]');
    await map.waitFor();
    const drawn = (await map.getAttribute('data-countries'))?.split(',') ?? [];
    expect(drawn[0]).toBe('US');
    expect(drawn).toEqual(expect.arrayContaining(['GB', 'DE', 'FR', 'CN']));
    const top = page.locator('[data-testid="chart-top-countries"][data-rendered="true"]');
    await top.waitFor();
    expect((await top.getAttribute('data-countries'))?.split(',')[0]).toBe('US');
    await page.locator('[data-testid="chart-timeline"][data-rendered="true"]').waitFor();
    await page.locator('[data-testid="chart-status-codes"][data-rendered="true"]').waitFor();
    await expect.poll(() => page.locator('[data-testid="counter-total"]').innerText()).toContain('10,000');
    await shot('dashboard');
  });

  it('keeps the dashboard range in the address, through a reload', async () => {
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const [from, to] = [day(Date.now() - 86_400_000), day(Date.now())];
    await page.goto(`${app.addresses.adminUrl}/#/dashboard?from=${from}&to=${to}`);
    await expect.poll(() => page.locator('[data-testid="counter-total"]').innerText()).toContain('10,000');
    expect(await page.getByRole('button', { name: 'Custom' }).getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByLabel('From', { exact: true }).inputValue()).toBe(from);
    await page.getByRole('button', { name: '7 days' }).click();
    await expect.poll(() => new URL(page.url()).hash).toBe('#/dashboard?range=7d');
    await page.reload();
    await page.locator('#shell').waitFor({ state: 'visible' });
    expect(await page.getByRole('button', { name: '7 days' }).getAttribute('aria-pressed')).toBe('true');
    // A range the address cannot mean is replaced by the one shown.
    await page.goto(`${app.addresses.adminUrl}/#/dashboard?range=30d`);
    await expect.poll(() => new URL(page.url()).hash).toBe('#/dashboard?range=7d');
  });

  it('shows a new flag live, blocks it with one click, and unblocks it again', async () => {
    await page.goto(`${app.addresses.adminUrl}/#/flags`);
    await page.locator('[data-testid="live-indicator"][data-status="live"]').waitFor();
    const attacker = '203.0.113.66';
    for (let i = 0; i < 12; i++) await sendAs(app.addresses.proxyUrl, attacker, `/wp-login.php?try=${i}`);
    const sent = Date.now();
    const block = page.getByRole('button', { name: `Block ${attacker}`, exact: true });
    await block.waitFor({ timeout: 5_000 });
    expect(Date.now() - sent).toBeLessThan(2_500);
    await shot('flags');

    await block.click();
    await expect.poll(() => sendAs(app.addresses.proxyUrl, attacker, '/'), { timeout: 3_000 }).toBe(403);
    const unblock = page.getByRole('button', { name: `Unblock ${attacker}`, exact: true });
    await unblock.waitFor();
    await unblock.click();
    await expect.poll(() => sendAs(app.addresses.proxyUrl, attacker, '/'), { timeout: 3_000 }).toBe(200);
  });

  it('shows hostile paths and user agents as text and runs nothing', async () => {
    const hostileIp = '198.51.100.99';
    const ua = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';
    const hostilePath = '/<img/src=x/onerror=window.__pwned=3>';
    await sendAs(app.addresses.proxyUrl, hostileIp, hostilePath, { userAgent: ua });
    await flushRecords(app.appliance);
    await page.goto(`${app.addresses.adminUrl}/#/requests?ip=${hostileIp}`);
    const table = page.locator('[data-testid="request-table"]');
    await expect.poll(() => table.innerText(), { timeout: 5_000 }).toContain(ua);
    expect(await table.innerText()).toContain(hostilePath);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await table.locator('script, img').count()).toBe(0);
    await shot('requests');
    // Every column, the user agent too, fits a 1,280 px window without scrolling sideways.
    await page.setViewportSize({ width: 1280, height: 1000 });
    const fit = async () => table.evaluate((t) => t.scrollWidth <= (t.closest('.card')?.clientWidth ?? 0));
    await expect.poll(fit).toBe(true);
    await page.setViewportSize({ width: 1400, height: 1000 });
    // The filter's date-and-time inputs keep to their own cells (they ran into From, To and Apply).
    const boxes = await Promise.all(
      [
        page.getByLabel('From', { exact: true }),
        page.getByLabel('To', { exact: true }),
        page.getByRole('button', { name: 'Apply' }),
      ].map(async (l) => (await l.boundingBox()) ?? { x: 0, y: 0, width: 0, height: 0 }),
    );
    for (let i = 1; i < boxes.length; i++) {
      const [left, right] = [boxes[i - 1], boxes[i]] as const;
      if (left && right && Math.abs(left.y - right.y) < 10)
        expect(left.x + left.width).toBeLessThanOrEqual(right.x);
    }
  });

  it('exports the current filter as CSV (spreadsheet-safe) and JSON', async () => {
    const ip = '198.51.100.77';
    await sendAs(app.addresses.proxyUrl, ip, '/report', {
      userAgent: '=HYPERLINK("http://evil.example","x")',
    });
    await sendAs(app.addresses.proxyUrl, ip, '/report2', { userAgent: 'normal' });
    await flushRecords(app.appliance);
    await page.goto(`${app.addresses.adminUrl}/#/requests?ip=${ip}`);
    await expect.poll(() => page.locator('[data-testid="request-table"]').innerText()).toContain('/report2');

    const [csvDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV of the current filter' }).click(),
    ]);
    const csv = await readFile((await csvDownload.path()) as string, 'utf8');
    const rows = csv.trim().split('\n');
    expect(rows[0]).toBe(
      'timestamp,ip,country,country_name,city,method,path,query,status,action,rule,duration_ms,user_agent,referrer',
    );
    expect(rows).toHaveLength(3);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);

    const [jsonDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export JSON of the current filter' }).click(),
    ]);
    const records = JSON.parse(await readFile((await jsonDownload.path()) as string, 'utf8')) as {
      url: { path: string };
    }[];
    expect(records.map((r) => r.url.path)).toEqual(['/report', '/report2']);
  });

  it('asks before blocking a range with the operator in it, and blocks only on yes', async () => {
    await page.goto(`${app.addresses.adminUrl}/#/lists`);
    const form = page.getByRole('form', { name: 'Add to a list' });
    const asked: string[] = [];
    let answer = false;
    onDialog = async (dialog) => {
      asked.push(dialog.message());
      await (answer ? dialog.accept() : dialog.dismiss());
    };
    const blocked = () =>
      app.appliance.parts.accessLists.listBlocks().some((b) => b.target === '127.0.0.0/8');
    try {
      await form.getByLabel('IP or CIDR').fill('127.0.0.0/8');
      await form.getByRole('button', { name: 'Add' }).click();
      await expect.poll(() => asked.length).toBe(1);
      expect(asked[0]).toContain('would block your own address');
      expect(asked[0]).not.toContain('CLI --force'); // the dialog's buttons are the answer here
      const declined = page.getByTestId('toast').filter({ hasText: '127.0.0.0/8 was not blocked' });
      await declined.waitFor();
      expect(await declined.getAttribute('class')).toContain('toast-info');
      expect(blocked()).toBe(false);
      answer = true;
      await form.getByRole('button', { name: 'Add' }).click();
      await expect.poll(blocked).toBe(true);
      expect(asked).toHaveLength(2);
    } finally {
      onDialog = undefined;
      if (blocked()) await app.appliance.parts.accessLists.unblock('127.0.0.0/8', 'test');
    }
  });

  it('keeps the reason of an entry replaced from the form with the Reason box left blank', async () => {
    const lists = app.appliance.parts.accessLists;
    await lists.block({ target: '198.51.100.77', reason: 'seen scanning, from the CLI', actor: 'cli' });
    try {
      await page.goto(`${app.addresses.adminUrl}/#/lists`);
      const form = page.getByRole('form', { name: 'Add to a list' });
      await form.getByLabel('IP or CIDR').fill('198.51.100.77');
      await form.getByRole('button', { name: 'Add' }).click();
      const replaced = () => lists.listBlocks().find((b) => b.target === '198.51.100.77');
      await expect.poll(() => replaced()?.expiresAt ?? null).not.toBeNull(); // the form's default expiry
      expect(replaced()?.reason).toBe('seen scanning, from the CLI');
    } finally {
      await lists.unblock('198.51.100.77', 'test').catch(() => {});
    }
  });

  it('fits the flags, lists, request-log and top-IP tables in a 1,280 px window, with long evidence, reasons and IPv6 clients', async () => {
    const { flags } = app.appliance.parts.detection;
    const long = (i: number) => `/presentations/logstash-scale11x/images/elasticsearch-logo-${i}.png`;
    for (const reason of ['sensitive_paths', 'admin_access'] as const)
      await flags.raise(
        {
          ip: '203.0.113.77',
          reason,
          count: 9,
          details: { count: 9, samplePaths: [0, 1, 2, 3, 4].map(long) },
          seenAt: Date.now() - 45_000, // "45 seconds ago", twice, made the table too wide
        },
        'test',
      );
    const lists = app.appliance.parts.accessLists;
    await lists.block({
      target: '198.18.0.0/24',
      reason: 'range suggestion: 3 flagged IPs (admin_access, failed_logins, high_volume, sensitive_paths)',
      actor: 'test',
    });
    await lists.allow({ target: '198.18.0.50', reason: 'partner inside blocked range', actor: 'test' });
    // A full-length IPv6 client, among the top IPs, flagged, and newest in the request log: its 39
    // characters once widened all three tables past the window.
    const v6 = '2a02:26f0:1280:1234:5678:9abc:def0:1234';
    // And a 15-character IPv4 address among the top IPs (the widest a dotted quad gets).
    for (let i = 0; i < 120; i++) await sendAs(app.addresses.proxyUrl, '198.151.100.100', `/v4/${i}`);
    for (let i = 0; i < 120; i++) await sendAs(app.addresses.proxyUrl, v6, `/v6/${i}`);
    await flushRecords(app.appliance);
    await page.setViewportSize({ width: 1280, height: 1000 });
    try {
      const fits = (selector: string) =>
        page.locator(selector).evaluate((t) => t.scrollWidth <= (t.parentElement?.clientWidth ?? 0));
      await page.goto(`${app.addresses.adminUrl}/#/flags`);
      await expect.poll(() => page.locator('.table-flags').innerText()).toContain('203.0.113.77');
      await expect.poll(() => page.locator('.table-flags').textContent()).toContain(v6);
      expect(await fits('.table-flags')).toBe(true);
      await page.goto(`${app.addresses.adminUrl}/#/requests`);
      await expect.poll(() => page.locator('.table-requests').textContent()).toContain(v6);
      expect(await fits('.table-requests')).toBe(true);
      await page.goto(`${app.addresses.adminUrl}/#/dashboard`);
      await expect.poll(() => page.getByTestId('top-ips').textContent()).toContain(v6);
      expect(await fits('[data-testid="top-ips"] table')).toBe(true);
      await page.goto(`${app.addresses.adminUrl}/#/lists`);
      await expect.poll(() => page.getByTestId('allowlist').innerText()).toContain('198.18.0.50');
      for (const list of ['blocklist', 'allowlist'])
        expect(await fits(`[data-testid="${list}"] table`), list).toBe(true);
    } finally {
      await page.setViewportSize({ width: 1400, height: 1000 });
      await lists.unblock('198.18.0.0/24', 'test');
      await lists.disallow('198.18.0.50', 'test');
    }
  });

  it('keeps each page within a 390 px phone screen, its heading right under the navigation', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      for (const view of ['flags', 'lists', 'import', 'ip/203.0.113.77']) {
        await page.goto(`${app.addresses.adminUrl}/#/${view}`);
        await page.locator('main h1').waitFor();
        if (view.startsWith('ip/')) await page.getByTestId('ip-flags').locator('table').waitFor();
        const layout = (await page.evaluate(`({
          width: document.documentElement.scrollWidth,
          gap:
            document.querySelector('main h1').getBoundingClientRect().top -
            document.querySelector('.side-nav').getBoundingClientRect().bottom,
        })`)) as { width: number; gap: number };
        expect(layout.width, view).toBeLessThanOrEqual(390);
        expect(layout.gap, view).toBeLessThan(60);
      }
    } finally {
      await page.setViewportSize({ width: 1400, height: 1000 });
    }
  });

  it('blocks and unblocks selected IPs with one notice for all', async () => {
    const ips = ['198.18.5.1', '198.18.5.2', '198.18.5.3'];
    for (const ip of ips)
      await app.appliance.parts.detection.flags.raise(
        { ip, reason: 'admin_access', count: 9, details: {}, seenAt: Date.now() },
        'test',
      );
    await page.goto(`${app.addresses.adminUrl}/#/dashboard`);
    await page.evaluate("for (const shown of document.querySelectorAll('.toast')) shown.remove()");
    await page.goto(`${app.addresses.adminUrl}/#/flags`);
    for (const ip of ips) await page.getByRole('checkbox', { name: `Select ${ip}` }).check();
    await page.getByRole('button', { name: 'Block selected (3)' }).click();
    const toasts = () => page.getByTestId('toast').allInnerTexts();
    await expect.poll(toasts).toEqual([expect.stringContaining('Blocked 3 addresses for 7 days')]);
    for (const ip of ips) expect(app.appliance.parts.accessLists.decide(ip).kind).toBe('blocked');

    await page.evaluate("for (const shown of document.querySelectorAll('.toast')) shown.remove()");
    for (const ip of ips) await page.getByRole('checkbox', { name: `Select ${ip}` }).check();
    await page.getByRole('button', { name: 'Unblock selected (3)' }).click();
    await expect.poll(toasts).toEqual([expect.stringContaining('Unblocked 3 blocks.')]);
    for (const ip of ips) expect(app.appliance.parts.accessLists.decide(ip).kind).toBe('none');
    for (const ip of ips) await app.appliance.parts.detection.flags.dismiss(ip, 'test');
  });

  it('renders the lists and settings views, and no page error happened anywhere', async () => {
    await app.appliance.parts.accessLists.block({ target: '192.0.2.0/24', reason: 'e2e', actor: 'test' });
    await page.goto(`${app.addresses.adminUrl}/#/lists`);
    await expect.poll(() => page.locator('[data-testid="blocklist"]').innerText()).toContain('192.0.2.0/24');
    await shot('lists');
    await page.goto(`${app.addresses.adminUrl}/#/settings`);
    await page.getByRole('form', { name: 'Settings' }).waitFor();
    await shot('settings');
    await page.goto(`${app.addresses.adminUrl}/#/ip/66.249.73.135`);
    await page.locator('[data-testid="ip-status"]').waitFor();
    await shot('ip-detail');
    expect(pageErrors).toEqual([]);
  });
});
