/**
 * The only place that names IPC channels and their payloads (STYLE.md "Dependencies flow one
 * way"). The preload turns each channel into one named function on `window.ipwarden`; the main
 * process handles each with `ipcMain.handle`. Type-only otherwise: no Electron or Node import, so
 * the sandboxed preload bundle stays tiny.
 */
import type { DesktopSettings, FirstRunErrors } from './logic/first-run-validation.js';

export const CHANNELS = {
  appVersion: 'ipwarden:app-version',
  openDataFolder: 'ipwarden:open-data-folder',
  setupDefaults: 'ipwarden:setup-defaults',
  saveSetup: 'ipwarden:save-setup',
} as const;

/** Request and response payloads per channel. */
export interface IpcContract {
  [CHANNELS.appVersion]: { request: []; response: string };
  [CHANNELS.openDataFolder]: { request: []; response: undefined };
  /** The values the setup screen starts with: the saved settings, or suggestions; plus why setup is shown. */
  [CHANNELS.setupDefaults]: { request: []; response: SetupDefaults };
  /** Validates and saves the setup form; the main process then starts ipwarden. */
  [CHANNELS.saveSetup]: { request: [SetupForm]; response: SetupResult };
}

export type Channel = keyof IpcContract;

export interface SetupForm {
  upstream: string;
  proxyPort: string;
}

export interface SetupDefaults {
  upstream: string;
  proxyPort: string;
  /** Set when a saved settings file was unusable or the last start failed: shown above the form. */
  problem: string | null;
}

export type SetupResult = { ok: true; settings: DesktopSettings } | { ok: false; errors: FirstRunErrors };

/** What the preload exposes as `window.ipwarden`: named functions only, never `ipcRenderer`. */
export interface IpwardenBridge {
  appVersion(): Promise<string>;
  openDataFolder(): Promise<undefined>;
  setupDefaults(): Promise<SetupDefaults>;
  saveSetup(form: SetupForm): Promise<SetupResult>;
}
