import { app, type IpcMainInvokeEvent, ipcMain, shell } from 'electron';
import { CHANNELS, type Channel, type IpcContract, type SetupDefaults, type SetupForm } from './ipc.js';
import { type DesktopSettings, validateFirstRun } from './logic/first-run-validation.js';

export interface IpcHandlers {
  dataDir: string;
  setupDefaults(): SetupDefaults;
  /** Called with validated settings; saves them and starts ipwarden. */
  saveSetup(settings: DesktopSettings): Promise<void>;
}

function handle<C extends Channel>(
  channel: C,
  handler: (
    event: IpcMainInvokeEvent,
    ...args: IpcContract[C]['request']
  ) => Promise<IpcContract[C]['response']> | IpcContract[C]['response'],
): void {
  ipcMain.handle(channel, (event, ...args) => handler(event, ...(args as IpcContract[C]['request'])));
}

/**
 * Answers the preload's named functions. The setup form is validated again here: the renderer is
 * never trusted.
 */
export function setupIpc(handlers: IpcHandlers): void {
  handle(CHANNELS.appVersion, () => app.getVersion());
  handle(CHANNELS.openDataFolder, async () => {
    const problem = await shell.openPath(handlers.dataDir);
    if (problem) throw new Error(`cannot open ${handlers.dataDir}: ${problem}`);
    return undefined;
  });
  handle(CHANNELS.setupDefaults, () => handlers.setupDefaults());
  handle(CHANNELS.saveSetup, async (_event, form: SetupForm) => {
    const result = validateFirstRun({ upstream: form?.upstream, proxyPort: form?.proxyPort });
    if (!result.ok) return result;
    await handlers.saveSetup(result.settings);
    return result;
  });
}
