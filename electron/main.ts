/**
 * The desktop shell's entry point, a table of contents (STYLE.md "Shape"): one instance, the core
 * in process, a window on the operator UI, tray, notifications and menu; quitting stops the core
 * gracefully (request log flushed).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, type BrowserWindow, dialog, powerMonitor, session, shell } from 'electron';
import { type Core, startCore } from './core.js';
import { setupIpc } from './ipc-handlers.js';
import type { DesktopSettings } from './logic/first-run-validation.js';
import type { NavigationPolicy } from './logic/navigation-policy.js';
import { desktopPaths } from './logic/paths.js';
import { QuitPolicy } from './logic/quit-policy.js';
import { RequestCounter } from './logic/request-counter.js';
import { readDesktopSettings, writeDesktopSettings } from './logic/settings-file.js';
import { setupMenu } from './menu.js';
import { setupNotifications } from './notifications.js';
import { setupTray, type TrayHandle } from './tray.js';
import { createMainWindow, reveal, secureSession, shellFiles, showAdminUi } from './window.js';

const files = shellFiles(path.dirname(fileURLToPath(import.meta.url)));
const requests = new RequestCounter(Date.now);
let core: Core | undefined;
let window: BrowserWindow | undefined;
let tray: TrayHandle | undefined;
let stopNotifications: (() => void) | undefined;
let setupProblem: string | null = null;
let saved: DesktopSettings | undefined;
const quit = new QuitPolicy();
let policy: NavigationPolicy | undefined;
/** The (re)starts, one at a time: a double-clicked Save must not start two cores. */
let starting: Promise<void> = Promise.resolve();
let restarting = false;

// Windows matches toasts and their settings to the installer's shortcut by this id (its appId).
if (process.platform === 'win32') app.setAppUserModelId('dev.ipwarden.app');

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => window && reveal(window));
  app.on('activate', () => window && reveal(window)); // macOS: the Dock icon, with the window closed
  app.on('before-quit', onBeforeQuit);
  app.on('window-all-closed', () => undefined); // stays in the tray
  void app.whenReady().then(run);
}

async function run(): Promise<void> {
  const paths = desktopPaths({
    userData: app.getPath('userData'),
    resourcesPath: process.resourcesPath,
    packaged: app.isPackaged,
  });
  policy = secureSession(session.defaultSession, () => (core ? core.addresses.adminUrl : null), files);
  const navigation = policy;
  setupIpc({
    mayCall: (url) => navigation.isAppPage(url),
    dataDir: paths.dataDir,
    setupDefaults: () => ({
      upstream: saved?.upstream ?? 'http://127.0.0.1:3000',
      proxyPort: String(saved?.proxyPort ?? 8080),
      problem: setupProblem,
    }),
    saveSetup: async (settings) => {
      await writeDesktopSettings(paths.settingsFile, settings);
      saved = settings;
      await startAndShow(settings);
    },
  });
  setupMenu({ openDataFolder: () => void shell.openPath(paths.dataDir), quit: () => app.quit() });
  window = createMainWindow(files, navigation, () => quit.quitting);
  window.on('close', (event) => {
    if (quit.quitting) return;
    event.preventDefault(); // closing the window keeps ipwarden running in the tray
    window?.hide();
  });
  tray = setupTray(files.icon, trayState, {
    open: () => void openUi(''),
    'toggle-pause': togglePause,
    quit: () => app.quit(),
  });
  // A shutdown or logoff stops the core too (request log flushed): Windows sends no before-quit
  // then, and elsewhere the system does not wait for an asynchronous stop.
  window.on('query-session-end', (event) => {
    event.preventDefault();
    app.quit();
  });
  powerMonitor.on('shutdown', () => app.quit());
  const read = await readDesktopSettings(paths.settingsFile);
  if (read.kind === 'ok') {
    saved = read.settings;
    await startAndShow(read.settings);
  } else {
    setupProblem = read.kind === 'invalid' ? read.problem : null;
    await window.loadFile(files.setupPage);
  }

  function startAndShow(settings: DesktopSettings): Promise<void> {
    const next = () => restart(settings);
    starting = starting.then(next, next);
    return starting;
  }

  async function restart(settings: DesktopSettings): Promise<void> {
    restarting = true;
    try {
      const previous = core;
      core = undefined; // nothing reads a stopping core's parts (the tray's refresh)
      stopNotifications?.();
      await previous?.stop();
      core = await startCore(settings, paths, app.getPath('userData'));
      setupProblem = null;
    } catch (err) {
      core = undefined;
      setupProblem = `ipwarden could not start: ${(err as Error).message}`;
      await window?.loadFile(files.setupPage);
      return;
    } finally {
      restarting = false;
    }
    core.appliance.parts.proxy.events.on('record', () => requests.record());
    stopNotifications = setupNotifications(core.appliance, { open: (hash) => void openUi(hash) });
    await openUi('');
  }
}

async function openUi(hash: string): Promise<void> {
  if (!window) return;
  reveal(window);
  if (!core) return;
  // Already on this core's UI (the tray's Open): shown as it is, its filters and scroll kept.
  if (hash === '' && policy?.isAdminPage(window.webContents.getURL())) return;
  try {
    await showAdminUi(window, core.addresses.adminUrl, core.appliance.parts.token, hash);
  } catch (err) {
    // ERR_ABORTED: the operator chose to stay on a page with unsaved settings.
    if ((err as { code?: string }).code !== 'ERR_ABORTED') throw err;
  }
}

function trayState() {
  // A core that is stopping has no parts to read (they throw): it shows as not running.
  const parts = core?.appliance.running ? core.appliance.parts : undefined;
  return {
    listening: parts?.proxy.server.listening ?? false,
    proxyUrl: parts ? (core?.addresses.proxyUrl ?? null) : null,
    requestsLastHour: requests.count(),
    activeFlags: parts?.detection.flags.list({ active: true }).length ?? 0,
    paused: core?.appliance.paused ?? false,
  };
}

function togglePause(): void {
  if (!core) return;
  if (core.appliance.paused) core.appliance.resume();
  else core.appliance.pause();
}

/**
 * Quit waits for the core to stop (in-flight requests finish, the request log is flushed), and
 * holds every further Quit until then (see {@link QuitPolicy}).
 */
function onBeforeQuit(event: Electron.Event): void {
  const step = quit.onBeforeQuit(core !== undefined || restarting);
  if (step === 'quit') return;
  event.preventDefault();
  if (step === 'wait') return;
  stopNotifications?.();
  tray?.destroy();
  // After a (re)start under way, whose core it then stops.
  const stopCore = () => core?.stop();
  starting
    .then(stopCore, stopCore)
    .catch((err: Error) => dialog.showErrorBox('ipwarden did not stop cleanly', err.message))
    .finally(() => {
      core = undefined;
      app.quit();
    });
}
