import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestAppliance } from '../helpers/appliance.js';
import { type ImportedUi, openImportedUi } from '../helpers/imported-ui.js';

/**
 * The settings view's Save in real Chromium: partial saves, unsaved-changes questions and the
 * browser history, rate-limit paths, failed saves. The request log holds the imported shared log.
 */
let app: TestAppliance;
let page: Page;
let ui: ImportedUi;

beforeAll(async () => {
  ui = await openImportedUi('settings');
  ({ app, page } = ui);
}, 120_000);

afterAll(() => ui?.close());

/** Presses Save and waits until the form's message line says `expected` (text, or a matcher). */
async function saveSays(expected: unknown): Promise<void> {
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect.poll(() => page.getByTestId('settings-message').innerText()).toEqual(expected);
}

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
    await saveSays('Saved — applied without restart. The form also shows changes made elsewhere.');
    expect(app.appliance.parts.state.data.settings).toMatchObject({
      detection: { thresholds: { high_volume: 80, brute_force: 250 }, flagTtl: 3 * 86_400_000 },
    });
    // The form now shows the settings in force, the other tab's change included.
    expect(await page.locator('[data-field="detection.thresholds.brute_force"]').inputValue()).toBe('250');
    await saveSays('Nothing to save: no field was changed.');
    // A save with nothing else changed meanwhile keeps the form as it is.
    await highVolume.fill('90');
    await saveSays('Saved — applied without restart.');
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
    /** Edits the form, leaves with `leave`, stays when asked, and sets the field back. */
    const editAndStay = async (value: string, leave: () => Promise<unknown>) => {
      await highVolume.waitFor();
      const saved = await highVolume.inputValue();
      await highVolume.fill(value);
      stayOnce();
      await leave();
      await expect.poll(view).toBe('#/settings');
      await page.waitForTimeout(100); // the router's step back has run, not only the address changed
      expect(await highVolume.inputValue()).toBe(value);
      await highVolume.fill(saved); // nothing unsaved: the next Back leaves
    };
    const settingsLink = () => page.locator('nav a[data-route="settings"]').click();
    // A. Back, stay; then Back reaches the page before.
    await page.goto(`${app.addresses.adminUrl}/#/flags`);
    await settingsLink();
    await editAndStay('777', () => page.goBack());
    await page.goBack();
    await expect.poll(view).toBe('#/flags');
    // B. A link, stay; Back then reaches the page before, not a second copy of settings.
    await settingsLink();
    await editAndStay('555', () => page.locator('nav a[data-route="dashboard"]').click());
    await page.goBack();
    await expect.poll(view).toBe('#/flags');
    // C. Through the request log, whose filters rewrite its entry.
    await page.locator('nav a[data-route="requests"]').click();
    await page.getByTestId('request-table').waitFor();
    await settingsLink();
    await editAndStay('333', () => page.goBack());
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
    await saveSays('Saved — applied without restart.');
    expect(app.appliance.parts.state.data.settings).toMatchObject({
      detection: { thresholds: { admin_access: 4 } },
      rateLimits: [expect.objectContaining({ name: 'search', paths: rule.paths })],
    });
    expect((await put({ detection: { thresholds: { admin_access: 3 } }, rateLimits: before })).status).toBe(
      200,
    );
  });

  it('saves the failed-login statuses of a site that answers a wrong password with 200', async () => {
    await page.goto(`${app.addresses.adminUrl}/#/dashboard`);
    await page.goto(`${app.addresses.adminUrl}/#/settings`);
    const statuses = page.getByLabel('Failed-login statuses');
    expect(await statuses.inputValue()).toBe('401, 403');
    await statuses.fill('200');
    await saveSays('Saved — applied without restart.');
    expect(app.appliance.parts.state.data.settings).toMatchObject({
      detection: { failedLoginStatuses: [200] },
    });
    await statuses.fill('401, 4O3');
    await saveSays(
      expect.stringContaining(
        'detection.failedLoginStatuses: expected HTTP statuses like 401, 403, got "4O3"',
      ),
    );
    await statuses.fill('401, 403');
    await saveSays('Saved — applied without restart.');
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
    await saveSays('Saved — applied without restart.');
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
    await expect.poll(() => new URL(page.url()).hash).toMatch(/^#\/dashboard\?range=/);
    expect(questions).toHaveLength(2);
    await app.admin('/api/settings', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ detection: { thresholds: { high_volume: 100 } } }),
    });
  });
});
