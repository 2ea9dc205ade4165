import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startTestAppliance, type TestAppliance } from './appliance.js';
import { launchChromium, SCREENSHOTS, signedInPage } from './browser.js';
import { runCli } from './cli.js';
import { APACHE_LOGS } from './combined-log.js';

/** An appliance whose request log holds the imported shared access log, and a signed-in page on its UI. */
export interface ImportedUi {
  app: TestAppliance;
  browser: Browser;
  page: Page;
  /** Closes the browser, stops the appliance and removes its data dir. */
  close(): Promise<void>;
}

/**
 * Imports the shared access log into a fresh data dir (named after `name`), starts an appliance on
 * it without the scheduled jobs, runs `prepare` (more records, say), then signs a Chromium page in.
 * @throws when the import fails.
 */
export async function openImportedUi(
  name: string,
  prepare: (app: TestAppliance) => Promise<void> = async () => undefined,
): Promise<ImportedUi> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `ipwarden-e2e-${name}-`));
  const imported = await runCli(dir, 'import', APACHE_LOGS.pathname);
  if (imported.error) throw imported.error;
  const app = await startTestAppliance({ schedule: false }, dir);
  await prepare(app);
  await mkdir(SCREENSHOTS, { recursive: true });
  const browser = await launchChromium();
  const page = await signedInPage(browser, app.addresses.adminUrl, app.appliance.parts.token);
  return {
    app,
    browser,
    page,
    async close() {
      await browser.close();
      await app.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
