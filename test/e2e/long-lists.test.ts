import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { launchChromium, SCREENSHOTS, signedInPage } from '../helpers/browser.js';

/**
 * Long lists in real Chromium: the Block & allow lists page over a blocklist longer than one
 * request may carry (1,300 blocks: pages from the server, Show more, searches, live reloads), and
 * the Flagged IPs page over 450 flagged IPs (drawn 200 at a time).
 */
let app: TestAppliance;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const COUNT = 1300;
const FLAGGED = 450;
/** The blocked targets, oldest first: `10.99.0.0` … with reasons `e2e page 0` …. */
const targets = Array.from({ length: COUNT }, (_, i) => `10.99.${i >> 8}.${i & 255}`);

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  app = await startTestAppliance({ schedule: false });
  for (const [i, target] of targets.entries())
    await app.appliance.parts.accessLists.block({ target, reason: `e2e page ${i}`, actor: 'test' });
  for (let i = 0; i < FLAGGED; i++)
    await raise(`203.0.${i >> 8}.${i & 255}`, i % 3 === 0 ? 'admin_access' : 'sensitive_paths');
  browser = await launchChromium();
  page = await signedInPage(browser, app.addresses.adminUrl, app.appliance.parts.token, (e) =>
    pageErrors.push(e),
  );
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const shot = (name: string) =>
  page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
const rows = () => page.locator('[data-testid="blocklist"] tbody tr');
// The rows' `data-key` (their targets); the project's types have no DOM, so the attribute is read structurally.
const keys = () =>
  rows().evaluateAll((rs) =>
    rs.map((r) => (r as unknown as { dataset: { key?: string } }).dataset.key ?? ''),
  );
const status = () => page.locator('[data-testid="blocklist"] .load-more');
const showMore = () => page.locator('[data-testid="blocklist"]').getByRole('button', { name: 'Show more' });
const searchBox = () => page.getByRole('searchbox', { name: 'Search both lists' });

/** Flags `ip` for `reason` as the detection rules do. */
function raise(ip: string, reason: 'admin_access' | 'sensitive_paths'): Promise<unknown> {
  return app.appliance.parts.detection.flags.raise(
    { ip, reason, count: 6, details: {}, seenAt: Date.now() },
    `rule:${reason}`,
  );
}

/** The `n` newest blocked targets, newest first, of the blocks made by this file. */
const newest = (n: number, from: readonly string[] = targets) => [...from].reverse().slice(0, n);

async function openLists(): Promise<void> {
  await page.goto(`${app.addresses.adminUrl}/#/settings`);
  await page.goto(`${app.addresses.adminUrl}/#/lists`);
  await expect.poll(() => rows().count()).toBe(200);
}

describe('Block & allow lists over a long blocklist', () => {
  it('shows the newest 200, then 200 more a click, and searches on the server', async () => {
    await openLists();
    expect(await keys()).toEqual(newest(200));
    expect(await status().innerText()).toContain(`200 of ${COUNT.toLocaleString('en-US')} shown`);
    await shot('lists-paged');
    await showMore().click();
    await expect.poll(() => rows().count()).toBe(400);
    expect(await keys()).toEqual(newest(400));
    await searchBox().fill('E2E PAGE 123');
    // `e2e page 123` and `e2e page 1230` … `1239`: newest first.
    await expect
      .poll(keys)
      .toEqual([...Array.from({ length: 10 }, (_, k) => targets[1239 - k]), targets[123]]);
    await searchBox().fill('');
    await expect.poll(keys).toEqual(newest(200));
  });

  it('keeps every entry shown, beyond one request’s 1,000, and a list shown whole whole, when a live change reloads it', async () => {
    await openLists();
    for (let shown = 200; shown < COUNT; shown += 200) {
      await showMore().click();
      await expect.poll(() => rows().count()).toBe(Math.min(shown + 200, COUNT));
    }
    expect(await showMore().isHidden()).toBe(true);
    await app.appliance.parts.accessLists.block({ target: '192.0.2.1', reason: 'live', actor: 'test' });
    await expect.poll(async () => (await keys())[0]).toBe('192.0.2.1');
    expect(await keys()).toEqual(['192.0.2.1', ...newest(COUNT)]);
    await app.appliance.parts.accessLists.unblock('192.0.2.1', 'test');
  });

  it('pages on with the search it showed when Show more is clicked while a new search is on its way', async () => {
    await openLists();
    // The new search answers late, and the next page of the old list later still.
    await page.route('**/api/blocks?*', async (route) => {
      const url = new URL(route.request().url());
      const delay = url.searchParams.has('search') ? 800 : url.searchParams.has('offset') ? 1600 : 0;
      await new Promise((resolve) => setTimeout(resolve, delay));
      await route.continue();
    });
    try {
      await searchBox().fill('e2e page 1');
      await page.waitForTimeout(400); // the search has left (250 ms throttle) and not come back
      await showMore().click();
      await page.waitForTimeout(2500);
      const matching = [...targets.entries()].filter(([i]) => String(i).startsWith('1')).map(([, t]) => t);
      expect(await keys()).toEqual(newest(200, matching));
      await showMore().click();
      await expect.poll(() => rows().count()).toBe(400);
      expect(await keys()).toEqual(newest(400, matching));
    } finally {
      await page.unroute('**/api/blocks?*');
    }
    expect(pageErrors).toEqual([]);
  });
});

describe('Flagged IPs over many flagged clients', () => {
  const flagRows = () => page.locator('table.table-flags tbody tr');

  it('draws 200 rows, 200 more a click, keeps them through a live flag, and starts again for a reason filter', async () => {
    await page.goto(`${app.addresses.adminUrl}/#/flags`);
    await expect.poll(() => flagRows().count()).toBe(200);
    expect(await page.getByText(`200 of ${FLAGGED} shown`).isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Show more' }).click();
    await expect.poll(() => flagRows().count()).toBe(400);
    await raise('198.51.100.250', 'sensitive_paths');
    await expect.poll(() => page.getByText(`400 of ${FLAGGED + 1} shown`).isVisible()).toBe(true);
    expect(await flagRows().count()).toBe(400);
    await page.getByRole('combobox', { name: 'Filter by reason' }).selectOption('admin_access');
    await expect.poll(() => flagRows().count()).toBe(150);
    expect(await page.getByRole('button', { name: 'Show more' }).isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('acts on the rows drawn only, keeps keyboard focus after the last page, and offers no Show more for a list that failed', async () => {
    await page.goto(`${app.addresses.adminUrl}/#/settings`);
    await page.goto(`${app.addresses.adminUrl}/#/flags`);
    await expect.poll(() => flagRows().count()).toBe(200);
    await page.getByRole('checkbox', { name: 'Select all flagged IPs shown' }).check();
    expect(await page.getByRole('button', { name: 'Block selected (200)' }).isVisible()).toBe(true);
    // Newer flags push 20 selected rows out of the 200 drawn: they are no longer selected.
    for (let i = 0; i < 20; i++) await raise(`198.51.100.${i}`, 'sensitive_paths');
    await expect.poll(() => flagRows().first().getAttribute('data-key')).toBe('198.51.100.19');
    expect(await page.getByRole('button', { name: 'Block selected (180)' }).isVisible()).toBe(true);
    await page.getByRole('checkbox', { name: 'Select all flagged IPs shown' }).uncheck();

    const more = page.getByRole('button', { name: 'Show more' });
    await more.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => flagRows().count()).toBe(400);
    await page.keyboard.press('Enter');
    await expect.poll(() => more.isHidden()).toBe(true);
    expect(await page.evaluate('document.activeElement.getAttribute("role")')).toBe('status');
    expect(await page.evaluate('document.activeElement.textContent')).toMatch(/^4\d\d of 4\d\d shown$/);

    await page.route('**/api/flags?*', (route) => route.fulfill({ status: 500, body: 'broken' }));
    try {
      await page.goto(`${app.addresses.adminUrl}/#/settings`);
      await page.goto(`${app.addresses.adminUrl}/#/flags`);
      await page.getByRole('button', { name: 'Retry' }).waitFor();
      expect(await more.isHidden()).toBe(true);
    } finally {
      await page.unroute('**/api/flags?*');
    }
  });

  it('lists eight IPs of a suggested range with a tally of reasons, and the rest on request', async () => {
    await page.goto(`${app.addresses.adminUrl}/#/settings`);
    await page.goto(`${app.addresses.adminUrl}/#/flags`);
    const card = page.locator('.range-suggestion[data-key="203.0.0.0/24"]');
    await expect.poll(() => card.innerText()).toContain('256 flagged IPs share this /24');
    expect(await card.innerText()).toContain('Reasons: Sensitive paths (170 IPs), Admin access (86 IPs)');
    expect(await card.locator(':scope > ul > li').count()).toBe(8);
    const rest = card.locator('details li');
    expect(await rest.count()).toBe(248);
    expect(await rest.first().isVisible()).toBe(false);
    // The flags table is no longer pushed far down by the suggestions' IP lists (16 px an IP): three
    // cards in two rows, where the whole lists took over 7,000 px.
    await page.screenshot({ path: path.join(SCREENSHOTS, 'range-suggestions-many.png') });
    expect((await page.locator('table.table-flags').boundingBox())?.y).toBeLessThan(1100);
    await card.getByText('248 more flagged IPs').click();
    expect(await rest.first().isVisible()).toBe(true);
    // An action reloads the suggestions: the list opened stays open.
    await page.getByRole('button', { name: 'Dismiss suggestion 203.0.1.0/24' }).click();
    await expect.poll(() => page.locator('.range-suggestion[data-key="203.0.1.0/24"]').count()).toBe(0);
    expect(await rest.first().isVisible()).toBe(true);
    expect(await rest.last().innerText()).toMatch(/^203\.0\.0\.\d+ — /);
  });

  it('names the range that blocks an IP, and lifts a range only once the operator agrees', async () => {
    const lists = app.appliance.parts.accessLists;
    await lists.block({ target: '203.0.1.0/24', reason: 'e2e range', actor: 'test' });
    const asked: string[] = [];
    let answer = false;
    const onDialog = (dialog: import('playwright-core').Dialog) => {
      asked.push(dialog.message());
      void (answer ? dialog.accept() : dialog.dismiss());
    };
    page.on('dialog', onDialog);
    try {
      await page.goto(`${app.addresses.adminUrl}/#/settings`);
      await page.goto(`${app.addresses.adminUrl}/#/flags`);
      const row = page.locator('tr[data-key="203.0.1.5"]');
      await page.getByRole('button', { name: 'Show more' }).click();
      await expect.poll(() => row.innerText()).toContain('Blocked by 203.0.1.0/24');
      await row.getByRole('button', { name: 'Unblock 203.0.1.0/24' }).click();
      await expect.poll(() => asked.length).toBe(1);
      expect(asked[0]).toContain('whole range 203.0.1.0/24');
      expect(lists.blockCovering('203.0.1.5')?.target).toBe('203.0.1.0/24');
      answer = true;
      await row.getByRole('button', { name: 'Unblock 203.0.1.0/24' }).click();
      await expect.poll(() => lists.blockCovering('203.0.1.5')).toBeUndefined();
      expect(asked).toHaveLength(2);
    } finally {
      page.off('dialog', onDialog);
      if (lists.blockCovering('203.0.1.5')) await lists.unblock('203.0.1.0/24', 'test');
    }
  });
});

describe('Exports of the long lists', () => {
  /** Clicks the button named `name` and reads the file it downloads. */
  async function download(name: string): Promise<string> {
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name }).click(),
    ]);
    return readFile((await file.path()) as string, 'utf8');
  }

  it('exports the whole blocklist and allowlist whatever the search shows, and every flag, active and past', async () => {
    await openLists();
    await searchBox().fill('E2E PAGE 123');
    await expect.poll(() => rows().count()).toBe(11);
    const csv = (await download('Export CSV of the whole blocklist')).trim().split('\n');
    expect(csv[0]).toBe('target,reason,createdAt,createdBy,expiresAt,expired');
    expect(new Set(csv.slice(1).map((row) => row.split(',')[0]))).toEqual(new Set(targets));
    expect(csv).toHaveLength(COUNT + 1);
    await app.appliance.parts.accessLists.allow({
      target: '192.0.2.10',
      reason: 'uptime monitor',
      actor: 'test',
    });
    // The search hides it on screen; the export holds it all the same.
    await expect
      .poll(() => page.getByTestId('allowlist').innerText())
      .toContain('No allowlisted entry matches the search.');
    const allowed = await download('Export JSON of the whole allowlist');
    expect(JSON.parse(allowed)).toMatchObject([{ target: '192.0.2.10', reason: 'uptime monitor' }]);
    await shot('lists-export');

    const flags = app.appliance.parts.detection.flags;
    expect(await flags.dismiss('203.0.0.7', 'test')).toHaveLength(1);
    await page.goto(`${app.addresses.adminUrl}/#/flags`);
    await expect.poll(() => page.locator('table.table-flags tbody tr').count()).toBe(200);
    const exported = JSON.parse(await download('Export JSON of every flag, active and past')) as {
      ip: string;
      is_active: boolean;
    }[];
    await shot('flags-export');
    expect(exported.length).toBeGreaterThanOrEqual(FLAGGED);
    expect(exported).toEqual(JSON.parse(JSON.stringify(flags.list())));
    expect(exported.find((flag) => flag.ip === '203.0.0.7')?.is_active).toBe(false);
    expect(pageErrors).toEqual([]);
  });
});
