import { app, type IpcMainInvokeEvent, ipcMain, shell } from 'electron';
import { CHANNELS, type Channel, type IpcContract, type SetupDefaults, type SetupForm } from './ipc.js';
import { type DesktopSettings, validateFirstRun } from './logic/first-run-validation.js';

export interface IpcHandlers {
  /** Whether the page at this URL may call the main process: the app's own pages only. */
  mayCall(url: string): boolean;
  dataDir: string;
  setupDefaults(): SetupDefaults;
  /** Called with validated settings; saves them and starts ipwarden. */
  saveSetup(settings: DesktopSettings): Promise<void>;
}

/**
 * Answers the preload's named functions. The setup form is validated again here: the renderer is
 * never trusted, and a call from any page but the app's own (the admin UI, which shows what clients
 * sent) is refused (Electron's security checklist: validate the sender of every IPC message).
 */
export function setupIpc(handlers: IpcHandlers): void {
  const handle = <C extends Channel>(
    channel: C,
    handler: (
      event: IpcMainInvokeEvent,
      ...args: IpcContract[C]['request']
    ) => Promise<IpcContract[C]['response']> | IpcContract[C]['response'],
  ): void => {
    ipcMain.handle(channel, (event, ...args) => {
      const from = event.senderFrame?.url ?? '';
      if (!handlers.mayCall(from)) throw new Error(`${channel} is not open to ${from || 'a closed frame'}`);
      return handler(event, ...(args as IpcContract[C]['request']));
    });
  };
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
