import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { launchChromium, SCREENSHOTS, signedInPage } from '../helpers/browser.js';
import { APACHE_LOGS } from '../helpers/combined-log.js';

/** The import panel in real Chromium: a small log with a hostile malformed line, uploaded through the UI. */
let app: TestAppliance;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  app = await startTestAppliance({ schedule: false });
  browser = await launchChromium();
  page = await signedInPage(browser, app.addresses.adminUrl, app.appliance.parts.token, (e) =>
    pageErrors.push(e),
  );
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const HOSTILE_HOST = '<img/src=x/onerror=window.__pwned=1>';

/** Opens the import page from the navigation and chooses a log file and its format (nothing uploaded yet). */
async function chooseLog(name: string, buffer: Buffer, format: string): Promise<void> {
  await page.getByRole('link', { name: 'Import logs' }).click();
  await page.getByRole('form', { name: 'Import a log' }).waitFor();
  await page.getByLabel('Log file').setInputFiles({ name, mimeType: 'text/plain', buffer });
  await page.getByLabel('Format').selectOption(format);
}

describe('import panel', () => {
  it('uploads a log with a progress bar, shows the summary with rejected lines as text, and links to the records', async () => {
    const lines = readFileSync(APACHE_LOGS, 'utf8').split('\n').slice(0, 40);
    lines.splice(2, 0, `${HOSTILE_HOST} - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`);
    lines.splice(10, 0, 'not a log line at all');
    const body = Buffer.from(`${lines.join('\n')}\n`);

    await chooseLog('access.log', body, 'auto');

    // Hold the upload back until the progress bar has been seen.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/api/import?*', async (route) => {
      await held;
      await route.continue();
    });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const progress = page.locator('[data-testid="import-progress"]');
    await progress.waitFor();
    expect(await progress.innerText()).toContain('lines read · 0%');
    release();

    const summary = page.locator('[data-testid="import-summary"]');
    await summary.waitFor({ timeout: 10_000 });
    const text = await summary.innerText();
    expect(text).toMatch(/Lines read\s+42/);
    expect(text).toMatch(/Imported\s+40/);
    expect(text).toMatch(/Rejected\s+2/);
    const rejections = await page.locator('[data-testid="import-rejections"]').innerText();
    expect(rejections).toContain(`line 3: client "${HOSTILE_HOST}" is not an IP address`);
    expect(rejections).toContain('line 11: not combined format');
    expect(await summary.locator('img, script').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    // May 2015 is far past the 90-day retention: the summary says those days go at the next run.
    expect(await page.getByTestId('import-retention').innerText()).toMatch(
      /older than the 90-day retention: the retention job deletes them at its next run/,
    );
    await page.screenshot({ path: path.join(SCREENSHOTS, 'import.png'), fullPage: true });

    await page.getByRole('link', { name: 'See the imported records in the request log' }).click();
    const table = page.locator('[data-testid="request-table"]');
    await expect.poll(() => table.innerText(), { timeout: 5_000 }).toContain('83.149.9.216');
    expect(await table.locator('tbody tr').count()).toBe(40);
    // Imported rows show dates, not "11 years ago": on two lines, so every column still fits a
    // 1,280 px window (on one line they took the user agent's room and more).
    await page.setViewportSize({ width: 1280, height: 800 });
    try {
      expect(await table.locator('time.absolute').first().innerText()).toMatch(/2015\n/);
      const fits = await table.evaluate((t) => t.scrollWidth <= (t.parentElement?.clientWidth ?? 0));
      expect(fits).toBe(true);
    } finally {
      await page.setViewportSize({ width: 1400, height: 1000 });
    }
  });

  it('offers detection over the imported hours, and its flags then show (imports raise none by themselves)', async () => {
    await chooseLog('apache_logs', readFileSync(APACHE_LOGS), 'combined');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.locator('[data-testid="import-summary"]').waitFor({ timeout: 20_000 });
    expect(app.appliance.parts.detection.flags.active('75.97.9.59', 'high_volume')).toBeUndefined();
    await page.getByRole('button', { name: 'Look for abuse in these records' }).click();
    const result = page.getByTestId('import-detection');
    await expect
      .poll(() => result.innerText(), { timeout: 20_000 })
      .toMatch(/^Checked \d+ hours: \d+ flags? raised or refreshed\./);
    // The one (IP, hour) over 100 requests in this log (shared data facts): 108 in 2015-05-18 08:00–09:00.
    expect(app.appliance.parts.detection.flags.active('75.97.9.59', 'high_volume')?.request_count).toBe(108);
    await result.getByRole('link', { name: 'Flagged IPs' }).click();
    await expect.poll(() => page.locator('.table-flags').innerText()).toContain('75.97.9.59');
  });

  it('says plainly that nothing was imported when every line was rejected in the chosen format', async () => {
    const lines = readFileSync(APACHE_LOGS, 'utf8').split('\n').slice(100, 130);
    await chooseLog('small.log', Buffer.from(`${lines.join('\n')}\n`), 'nginx-json');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const failed = page.getByTestId('import-failed');
    await failed.waitFor({ timeout: 10_000 });
    expect(await failed.innerText()).toBe(
      'Nothing was imported: all 30 non-empty lines were rejected as nginx-json. If the log is in another format, import it again with that format or Auto.',
    );
  });

  it('shows the server’s reason when a file cannot be imported, and no page error happened', async () => {
    await chooseLog('notes.txt', Buffer.from('hello\nworld\n'), 'auto');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'notes.txt' });
    await alert.waitFor({ timeout: 10_000 });
    expect(await alert.innerText()).toMatch(/Import of notes\.txt failed: cannot tell the log format/);
    expect(pageErrors).toEqual([]);
  });
});
