/**
 * The preload of every ipwarden window. Sandboxed preloads cannot import ES modules, so
 * electron/build.mjs bundles this file with ipc.ts into dist/electron/preload.cjs.
 * It exposes a few named functions as `window.ipwarden`, never `ipcRenderer` itself.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { CHANNELS, type Channel, type IpcContract, type IpwardenBridge } from './ipc.js';

function invoke<C extends Channel>(
  channel: C,
  ...args: IpcContract[C]['request']
): Promise<IpcContract[C]['response']> {
  return ipcRenderer.invoke(channel, ...args) as Promise<IpcContract[C]['response']>;
}

const bridge: IpwardenBridge = {
  appVersion: () => invoke(CHANNELS.appVersion),
  openDataFolder: () => invoke(CHANNELS.openDataFolder),
  setupDefaults: () => invoke(CHANNELS.setupDefaults),
  saveSetup: (form) =>
    invoke(CHANNELS.saveSetup, { upstream: String(form.upstream), proxyPort: String(form.proxyPort) }),
};

contextBridge.exposeInMainWorld('ipwarden', bridge);
