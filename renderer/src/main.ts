/**
 * The operator UI's entry point: a table of contents. It finds the page shell, sets up the theme,
 * health, live feed and routing, and signs the operator in.
 */
import { onUnauthorized } from './api.js';
import { reloadOnSignInLink } from './auth.js';
import { LiveEvents } from './events.js';
import { watchHealth } from './health.js';
import { flagCount, showLiveStatus } from './live-status.js';
import { createRouter } from './router.js';
import { sessionControl } from './session.js';
import { findShell, setupSkipLink } from './shell.js';
import { setupTheme } from './theme.js';

const shell = findShell();
setupTheme(shell.themeToggle);
setupSkipLink(shell);
const health = watchHealth(shell.version, shell.problems);
const live = new LiveEvents({ checkSession: () => flags.refresh() });
showLiveStatus(shell.liveIndicator, live);
const flags = flagCount(shell.flagCount, live);
const router = createRouter(shell.main, shell.nav, {
  live,
  health: () => health.current(),
  refreshFlagCount: () =>
    void flags.refresh().catch((error: unknown) => console.warn('ipwarden: flag count', error)),
});
const session = sessionControl(shell, {
  probe: () => flags.refresh(),
  onSignedIn: () => {
    live.start();
    router.start();
    void flags.refresh().catch((error: unknown) => console.warn('ipwarden: flag count', error));
  },
  onSignedOut: () => {
    live.stop();
    router.stop();
  },
  mayLeave: () => router.mayLeave(),
});
onUnauthorized(() => session.signedOut());
reloadOnSignInLink();
void session.begin();
