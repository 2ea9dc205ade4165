import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestAppliance } from '../helpers/appliance.js';
import { SCREENSHOTS } from '../helpers/browser.js';
import { type ImportedUi, openImportedUi } from '../helpers/imported-ui.js';
import { record } from '../helpers/records.js';

/**
 * The settings view's "Test against history" panel and the flags view's range suggestions, in real
 * Chromium against an appliance whose request log holds the imported shared access log.
 */
let app: TestAppliance;
let page: Page;
let ui: ImportedUi;
const HOSTILE = '/<img src=x onerror="window.__pwned=1">';

beforeAll(async () => {
  ui = await openImportedUi('backtest', async (started) => {
    // 55 requests in one hour of 18 May 2015 with a hostile path: over a threshold of 50, not 100.
    const at = Date.parse('2015-05-18T12:00:00Z');
    for (let n = 0; n < 55; n++)
      started.appliance.parts.requestLog.append(record('192.0.2.66', at + n * 1000, { path: HOSTILE }));
    await started.appliance.parts.requestLog.flush();
  });
  ({ app, page } = ui);
}, 120_000);

afterAll(() => ui?.close());

describe('settings: test against history', () => {
  it('shows what unsaved settings would newly flag, with evidence as text, and saves nothing', async () => {
    await page.goto(`${app.addresses.adminUrl}/#/settings`);
    const highVolume = page.locator('[data-field="detection.thresholds.high_volume"]');
    await highVolume.fill('50');
    await page.getByTestId('backtest-from').fill('2015-05-16');
    await page.getByTestId('backtest-to').fill('2015-05-21');
    await page.getByRole('button', { name: 'Test against history' }).click();
    const newly = page.getByTestId('backtest-newly-flagged');
    await expect.poll(() => newly.innerText(), { timeout: 20_000 }).toContain('Newly flagged: 2');
    const text = await newly.innerText();
    expect(text).toContain('130.237.218.86');
    expect(text).toMatch(/75 > 50 in 4 windows/);
    expect(text).toContain(HOSTILE);
    expect(await newly.locator('img, script').count()).toBe(0);
    await page.locator('.backtest-panel').screenshot({ path: path.join(SCREENSHOTS, 'backtest.png') });
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.getByTestId('backtest-no-longer-flagged').innerText()).toContain(
      'No longer flagged: 0',
    );
    const saved = (await (await app.admin('/api/settings')).json()) as {
      settings: { detection: { thresholds: { high_volume: number } } };
    };
    expect(saved.settings.detection.thresholds.high_volume).toBe(100);
    expect(app.appliance.parts.state.data.flags).toEqual([]);
  });

  it('names the bad field and marks it instead of running', async () => {
    const highVolume = page.locator('[data-field="detection.thresholds.high_volume"]');
    await highVolume.fill('-3');
    await page.getByRole('button', { name: 'Test against history' }).click();
    await expect
      .poll(() => page.getByTestId('backtest-status').innerText())
      .toMatch(/high_volume|whole number/i);
    expect(await highVolume.getAttribute('aria-invalid')).toBe('true');
    // The first test's result answered other settings: it goes.
    expect(await page.getByTestId('backtest-result').innerText()).toBe('');
    await highVolume.fill('100'); // nothing unsaved: the next page opens without a question
  });
});

describe('flags: range suggestions', () => {
  it('suggests a /24 with three flagged IPs; one click blocks it (audited), another dismisses one', async () => {
    const { flags } = app.appliance.parts.detection;
    const now = Date.now();
    for (const ip of [
      '203.0.113.5',
      '203.0.113.6',
      '203.0.113.7',
      '198.51.100.1',
      '198.51.100.2',
      '198.51.100.3',
    ])
      await flags.raise({ ip, reason: 'sensitive_paths', count: 9, details: {}, seenAt: now }, 'test');
    await page.goto(`${app.addresses.adminUrl}/#/flags`);
    const panel = page.getByTestId('range-suggestions');
    await expect.poll(() => panel.innerText(), { timeout: 5_000 }).toContain('Block 203.0.113.0/24?');
    expect(await panel.innerText()).toMatch(/3 flagged IPs share this \/24/);
    expect(await panel.innerText()).toMatch(/0 requests from 0 unflagged IPs/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'range-suggestions.png') });

    await page.getByRole('button', { name: 'Block range 203.0.113.0/24' }).click();
    await expect.poll(() => app.appliance.parts.accessLists.decide('203.0.113.200').kind).toBe('blocked');
    const audit = app.appliance.parts.state.data.audit.find(
      (e) => e.action === 'block' && e.target === '203.0.113.0/24',
    );
    expect(audit?.reason).toBe('range suggestion: 3 flagged IPs (sensitive_paths)');
    await expect.poll(() => panel.innerText()).not.toContain('203.0.113.0/24');

    await page.getByRole('button', { name: 'Dismiss suggestion 198.51.100.0/24' }).click();
    await expect.poll(() => panel.innerText()).not.toContain('198.51.100.0/24');
    expect(app.appliance.parts.state.data.audit.at(-1)).toMatchObject({
      action: 'dismiss-range-suggestion',
      target: '198.51.100.0/24',
    });
    expect(app.appliance.parts.accessLists.decide('198.51.100.9').kind).toBe('none');
  });

  it('drops a suggestion at once when its range is blocked from a flag row', async () => {
    const { flags } = app.appliance.parts.detection;
    for (const ip of ['198.18.7.5', '198.18.7.6', '198.18.7.7'])
      await flags.raise({ ip, reason: 'admin_access', count: 9, details: {}, seenAt: Date.now() }, 'test');
    await page.goto(`${app.addresses.adminUrl}/#/flags`);
    await page.reload();
    const panel = page.getByTestId('range-suggestions');
    await expect.poll(() => panel.innerText(), { timeout: 5_000 }).toContain('Block 198.18.7.0/24?');
    await page.getByRole('button', { name: 'Block 198.18.7.0/24' }).first().click();
    await expect.poll(() => app.appliance.parts.accessLists.decide('198.18.7.5').kind).toBe('blocked');
    await expect.poll(() => panel.innerText(), { timeout: 3_000 }).not.toContain('198.18.7.0/24');
  });

  it("warns when a suggested range holds the operator's address, and blocks it only when confirmed", async () => {
    const { flags } = app.appliance.parts.detection;
    // An admin session from an address in the range (the UI's own requests come from loopback).
    app.appliance.parts.accessLists.operator.note('192.0.2.200');
    for (const ip of ['192.0.2.5', '192.0.2.6', '192.0.2.7'])
      await flags.raise({ ip, reason: 'high_volume', count: 500, details: {}, seenAt: Date.now() }, 'test');
    await page.goto(`${app.addresses.adminUrl}/#/flags`);
    await page.reload(); // the last test left the page on #/flags: load the suggestions afresh
    const panel = page.getByTestId('range-suggestions');
    await expect.poll(() => panel.innerText(), { timeout: 5_000 }).toContain('Block 192.0.2.0/24?');
    expect(await panel.innerText()).toMatch(/your address inside\s*192\.0\.2\.200: you use this address/);

    const questions: string[] = [];
    page.once('dialog', (dialog) => {
      questions.push(dialog.message());
      void dialog.dismiss();
    });
    await page.getByRole('button', { name: 'Block range 192.0.2.0/24' }).click();
    await expect.poll(() => questions.length).toBe(1);
    expect(questions[0]).toContain('192.0.2.200');
    expect(app.appliance.parts.accessLists.decide('192.0.2.5').kind).toBe('none');
  });
});
