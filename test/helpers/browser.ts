import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium); Playwright's own browser download is not used. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Launches headless Chromium with the flags this machine needs (no sandbox as root, no background networking). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** Where e2e screenshots go (kept as CI artifacts, not committed). */
export const SCREENSHOTS = path.resolve(import.meta.dirname, '../../test-results/screenshots');

/**
 * A 1400×1000 page of `browser` signed in to the admin UI at `adminUrl` with `token` (the link
 * `ipwarden start` prints), waiting for the app shell; `onError` gets each uncaught page error.
 */
export async function signedInPage(
  browser: Browser,
  adminUrl: string,
  token: string,
  onError: (error: string) => void = () => undefined,
): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (err) => onError(String(err)));
  await page.goto(`${adminUrl}/#token=${token}`);
  await page.locator('#shell').waitFor({ state: 'visible' });
  return page;
}
