import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BrowserWindow, dialog, type Session, shell } from 'electron';
import { SESSION_COOKIE, sessionValue } from '../server/index.js';
import { type NavigationPolicy, navigationPolicy } from './logic/navigation-policy.js';
import { choiceOfButton, UNLOAD_QUESTION, unloadChoice } from './logic/unload-policy.js';

/** Files next to the compiled main process (dist/electron/). */
export interface ShellFiles {
  preload: string;
  setupPage: string;
  icon: string;
}

/** `dist/electron/…` paths of the preload, the setup page and the window icon. */
export function shellFiles(dir: string): ShellFiles {
  return {
    preload: path.join(dir, 'preload.cjs'),
    setupPage: path.join(dir, 'first-run', 'index.html'),
    icon: path.join(dir, 'icon.png'),
  };
}

/**
 * Locks the session down (README "Desktop app", security): only the local admin UI and the app's
 * own pages load; every permission request (camera, notifications from pages …) is refused.
 */
export function secureSession(
  session: Session,
  adminOrigin: () => string | null,
  files: ShellFiles,
): NavigationPolicy {
  const policy = navigationPolicy(adminOrigin, pathToFileURL(path.dirname(files.setupPage)).href);
  session.webRequest.onBeforeRequest((details, callback) =>
    callback({ cancel: !policy.mayRequest(details.url) }),
  );
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  // Checks too (they default to allowed): a page asking whether it may use a permission hears no.
  session.setPermissionCheckHandler(() => false);
  return policy;
}

/**
 * The main window: context isolation, sandbox, no Node integration, the preload's named functions
 * only. Navigation away from the admin UI and `window.open` are denied; http(s) links open in the
 * system browser. A page that asks before it is left gets a native question, unless `quitting`.
 */
export function createMainWindow(
  files: ShellFiles,
  policy: NavigationPolicy,
  quitting: () => boolean,
): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 860,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'ipwarden',
    icon: files.icon,
    webPreferences: {
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      preload: files.preload,
    },
  });
  window.webContents.on('will-navigate', (event, url) => {
    if (policy.mayNavigate(url)) return;
    event.preventDefault();
    openExternal(policy, url);
  });
  // The UI asks before unsaved settings are lost; Electron shows no question of its own.
  window.webContents.on('will-prevent-unload', (event) => {
    const choice = unloadChoice(quitting(), () =>
      choiceOfButton(dialog.showMessageBoxSync(window, UNLOAD_QUESTION)),
    );
    if (choice === 'leave') event.preventDefault(); // preventDefault here means: unload anyway
  });
  window.webContents.setWindowOpenHandler(({ url }) => {
    openExternal(policy, url);
    return { action: 'deny' };
  });
  window.once('ready-to-show', () => window.show());
  return window;
}

function openExternal(policy: NavigationPolicy, url: string): void {
  const target = policy.externalTarget(url);
  if (target !== null) void shell.openExternal(target);
}

/**
 * Opens the operator UI signed in: sets the UI session cookie (HttpOnly, SameSite=Strict) for the
 * admin origin, so the token never appears in a URL, then loads `hash` (e.g. `#/ip/203.0.113.7`).
 */
export async function showAdminUi(
  window: BrowserWindow,
  adminUrl: string,
  token: string,
  hash = '',
): Promise<void> {
  await window.webContents.session.cookies.set({
    url: adminUrl,
    name: SESSION_COOKIE,
    value: sessionValue(token),
    httpOnly: true,
    sameSite: 'strict',
  });
  await window.loadURL(`${adminUrl}/${hash}`);
}

/** Brings the window to the front, restoring it from the tray or the dock. */
export function reveal(window: BrowserWindow): void {
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}
