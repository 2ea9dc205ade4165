import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { launchChromium, SCREENSHOTS, signedInPage } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { APACHE_LOGS } from '../helpers/combined-log.js';
import { record } from '../helpers/records.js';

/**
 * The settings view's "Test against history" panel and the flags view's range suggestions, in real
 * Chromium against an appliance whose request log holds the imported shared access log.
 */
let dir: string;
let app: TestAppliance;
let browser: Browser;
let page: Page;
const HOSTILE = '/<img src=x onerror="window.__pwned=1">';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-e2e-backtest-'));
  expect((await runCli(dir, 'import', APACHE_LOGS.pathname)).error).toBeUndefined();
  app = await startTestAppliance({ schedule: false }, dir);
  // 55 requests in one hour of 18 May 2015 with a hostile path: over a threshold of 50, not 100.
  const at = Date.parse('2015-05-18T12:00:00Z');
  for (let i = 0; i < 55; i++)
    app.appliance.parts.requestLog.append(record('192.0.2.66', at + i * 1000, { path: HOSTILE }));
  await app.appliance.parts.requestLog.flush();
  await mkdir(SCREENSHOTS, { recursive: true });
  browser = await launchChromium();
  page = await signedInPage(browser, app.addresses.adminUrl, app.appliance.parts.token);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await rm(dir, { recursive: true, force: true });
});

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
  });
});

describe('settings: save', () => {
  it('saves only the fields changed in the form, keeping a change made elsewhere since the page loaded', async () => {
    await page.goto(`${app.addresses.adminUrl}/#/dashboard`);
    await page.goto(`${app.addresses.adminUrl}/#/settings`);
    const highVolume = page.locator('[data-field="detection.thresholds.high_volume"]');
    await highVolume.waitFor();
    // Another tab, or the API, changes two other settings meanwhile.
    const elsewhere = await app.admin('/api/settings', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ detection: { thresholds: { brute_force: 250 }, flagTtl: '3d' } }),
    });
    expect(elsewhere.status).toBe(200);
    await highVolume.fill('80');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('settings-message').innerText())
      .toBe('Saved — applied without restart. The form also shows changes made elsewhere.');
    expect(app.appliance.parts.state.data.settings).toMatchObject({
      detection: { thresholds: { high_volume: 80, brute_force: 250 }, flagTtl: 3 * 86_400_000 },
    });
    // The form now shows the settings in force, the other tab's change included.
    expect(await page.locator('[data-field="detection.thresholds.brute_force"]').inputValue()).toBe('250');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('settings-message').innerText())
      .toBe('Nothing to save: no field was changed.');
    // A save with nothing else changed meanwhile keeps the form as it is.
    await highVolume.fill('90');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('settings-message').innerText())
      .toBe('Saved — applied without restart.');
    expect(app.appliance.parts.state.data.settings).toMatchObject({
      detection: { thresholds: { high_volume: 90 } },
    });
    // Put the thresholds back for the tests that follow.
    await app.admin('/api/settings', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        detection: { thresholds: { high_volume: 100, brute_force: 200 }, flagTtl: '7d' },
      }),
    });
  });

  it('keeps the browser history whole when the operator stays on the settings page', async () => {
    const view = () => page.evaluate('location.hash');
    const stayOnce = () =>
      page.once('dialog', (dialog) => {
        void dialog.dismiss();
      });
    const highVolume = page.locator('[data-field="detection.thresholds.high_volume"]');
    // A. Back, stay; once the edit is undone, Back reaches the page before.
    await page.goto(`${app.addresses.adminUrl}/#/flags`);
    await page.locator('nav a[data-route="settings"]').click();
    await highVolume.waitFor();
    const saved = await highVolume.inputValue();
    await highVolume.fill('777');
    stayOnce();
    await page.goBack();
    await expect.poll(view).toBe('#/settings');
    await page.waitForTimeout(100); // the router's step back has run, not only the address changed
    expect(await highVolume.inputValue()).toBe('777');
    await highVolume.fill(saved);
    await page.goBack();
    await expect.poll(view).toBe('#/flags');
    // B. A link, stay; Back then reaches the page before, not a second copy of settings.
    await page.locator('nav a[data-route="settings"]').click();
    await highVolume.waitFor();
    await highVolume.fill('555');
    stayOnce();
    await page.locator('nav a[data-route="dashboard"]').click();
    await expect.poll(view).toBe('#/settings');
    await page.waitForTimeout(100); // the router's step back has run, not only the address changed
    expect(await highVolume.inputValue()).toBe('555');
    await highVolume.fill(saved);
    await page.goBack();
    await expect.poll(view).toBe('#/flags');
    // C. Through the request log, whose filters rewrite its entry: Back, stay, then Back reaches it.
    await page.locator('nav a[data-route="requests"]').click();
    await page.getByTestId('request-table').waitFor();
    await page.locator('nav a[data-route="settings"]').click();
    await highVolume.waitFor();
    await highVolume.fill('333');
    stayOnce();
    await page.goBack();
    await expect.poll(view).toBe('#/settings');
    await page.waitForTimeout(100);
    await highVolume.fill(saved);
    await page.goBack();
    await expect.poll(view).toMatch(/^#\/requests/);
  });

  it('saves a change beside a rate-limit rule whose paths hold a comma and a space', async () => {
    const rule = {
      name: 'search',
      paths: ['/search,advanced', '/my page/**'],
      methods: ['GET'],
      anonymous: { max: 30, period: '1m' },
    };
    const put = (body: unknown) =>
      app.admin('/api/settings', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const before = app.appliance.parts.state.data.settings?.rateLimits;
    expect((await put({ rateLimits: [rule] })).status).toBe(200);
    await page.goto(`${app.addresses.adminUrl}/#/dashboard`);
    await page.goto(`${app.addresses.adminUrl}/#/settings`);
    const paths = page.getByRole('textbox', { name: 'Rule 1 paths' });
    expect(await paths.inputValue()).toBe('/search,advanced\n/my page/**');
    await page.locator('[data-field="detection.thresholds.admin_access"]').fill('4');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('settings-message').innerText())
      .toBe('Saved — applied without restart.');
    expect(app.appliance.parts.state.data.settings).toMatchObject({
      detection: { thresholds: { admin_access: 4 } },
      rateLimits: [expect.objectContaining({ name: 'search', paths: rule.paths })],
    });
    expect((await put({ detection: { thresholds: { admin_access: 3 } }, rateLimits: before })).status).toBe(
      200,
    );
  });

  it('asks before leaving with unsaved changes, and a failed save takes back the earlier "Saved"', async () => {
    await page.goto(`${app.addresses.adminUrl}/#/dashboard`);
    await page.goto(`${app.addresses.adminUrl}/#/settings`);
    // Toasts of the earlier tests' saves are another page's: close them.
    await page.evaluate("for (const shown of document.querySelectorAll('.toast')) shown.remove()");
    const highVolume = page.locator('[data-field="detection.thresholds.high_volume"]');
    const unsavedBadge = page.getByTestId('settings-unsaved');
    expect(await unsavedBadge.isVisible()).toBe(false);
    await highVolume.fill('77');
    expect(await unsavedBadge.isVisible()).toBe(true);
    const questions: string[] = [];
    page.once('dialog', (dialog) => {
      questions.push(dialog.message());
      void dialog.dismiss();
    });
    await page.locator('nav a[data-route="dashboard"]').click();
    await expect.poll(() => questions.length).toBe(1);
    expect(questions[0]).toMatch(/changes that are not saved/);
    await expect.poll(() => new URL(page.url()).hash).toBe('#/settings');
    // Sign out asks too; staying keeps the session and the form.
    page.once('dialog', (dialog) => {
      questions.push(dialog.message());
      void dialog.dismiss();
    });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => questions.length).toBe(2);
    expect(await page.locator('#shell').isVisible()).toBe(true);
    await page.waitForTimeout(100); // the router's step back has run, not only the address changed
    expect(await highVolume.inputValue()).toBe('77');

    // Saved once, then the next save fails: the failure is what stays on screen.
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('settings-message').innerText())
      .toBe('Saved — applied without restart.');
    expect(await unsavedBadge.isVisible()).toBe(false);
    await expect
      .poll(() => page.getByTestId('toast').allInnerTexts())
      .toContainEqual(expect.stringContaining('Saved'));
    await page.route('**/api/settings', (route) =>
      route.request().method() === 'PUT'
        ? route.fulfill({
            status: 503,
            contentType: 'application/json',
            body: '{"error":{"message":"store busy"}}',
          })
        : route.fallback(),
    );
    await highVolume.fill('78');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.getByTestId('settings-message').innerText()).toMatch(/^Not saved: /);
    expect(await page.getByTestId('toast').allInnerTexts()).not.toContainEqual(
      expect.stringContaining('Saved'),
    );
    await page.unroute('**/api/settings');

    // Typing the saved value back is nothing to lose: the next page opens without a question.
    await highVolume.fill('77');
    await page.locator('nav a[data-route="dashboard"]').click();
    await expect.poll(() => new URL(page.url()).hash).toBe('#/dashboard');
    expect(questions).toHaveLength(2);
    await app.admin('/api/settings', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ detection: { thresholds: { high_volume: 100 } } }),
    });
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
