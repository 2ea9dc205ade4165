/**
 * What the desktop window may load (README "Desktop app", security): the local admin UI and the
 * app's own setup page, nothing else. Pure, so the rules are tested without Electron.
 */
export interface NavigationPolicy {
  /** The window may navigate to this URL (same origin as the admin UI, or the setup page). */
  mayNavigate(url: string): boolean;
  /** The renderer may fetch this URL (admin origin, the setup page's files, devtools, data/blob). */
  mayRequest(url: string): boolean;
  /** An http(s) link to open in the system browser instead, or null to drop it. */
  externalTarget(url: string): string | null;
  /**
   * The URL is one of the app's own pages (the setup screen), the only pages that may call the
   * main process (IPC): the admin UI shows what clients sent, so a script there must not.
   */
  isAppPage(url: string): boolean;
  /** The URL is a page of the running admin UI (the window already shows it: no reload needed). */
  isAdminPage(url: string): boolean;
}

/**
 * @param adminOrigin e.g. `http://127.0.0.1:8081`; null before the appliance runs (setup screen).
 * @param appFiles `file://` URL prefix of the app's own pages (the setup screen).
 */
export function navigationPolicy(adminOrigin: () => string | null, appFiles: string): NavigationPolicy {
  const parse = (url: string): URL | null => {
    try {
      return new URL(url);
    } catch {
      return null;
    }
  };
  const isApp = (url: string, parsed: URL): boolean =>
    parsed.protocol === 'file:' && url.startsWith(appFiles);
  const isAdmin = (parsed: URL): boolean => adminOrigin() !== null && parsed.origin === adminOrigin();
  return {
    mayNavigate(url) {
      const parsed = parse(url);
      return parsed !== null && (isAdmin(parsed) || isApp(url, parsed));
    },
    mayRequest(url) {
      const parsed = parse(url);
      if (parsed === null) return false;
      if (['devtools:', 'data:', 'blob:'].includes(parsed.protocol)) return true;
      return isAdmin(parsed) || isApp(url, parsed);
    },
    isAdminPage(url) {
      const parsed = parse(url);
      return parsed !== null && isAdmin(parsed);
    },
    isAppPage(url) {
      const parsed = parse(url);
      return parsed !== null && isApp(url, parsed);
    },
    externalTarget(url) {
      const parsed = parse(url);
      if (parsed === null || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) return null;
      return isAdmin(parsed) ? null : parsed.href;
    },
  };
}
