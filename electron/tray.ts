import { Menu, type MenuItemConstructorOptions, nativeImage, Tray } from 'electron';
import { type TrayAction, type TrayState, trayModel } from './logic/tray-status.js';

/** How often the tray's status lines are refreshed (ms). */
const REFRESH_MS = 5_000;

export interface TrayHandle {
  refresh(): void;
  destroy(): void;
}

/**
 * The tray icon: status (proxy, requests in the last hour, active flags), Open, Pause protection,
 * Quit. The menu is rebuilt from {@link trayModel} when it changes, looked at every few seconds and
 * after every action.
 */
export function setupTray(
  iconFile: string,
  readState: () => TrayState,
  actions: Record<TrayAction, () => void>,
): TrayHandle {
  const icon = nativeImage.createFromPath(iconFile).resize({ width: 16, height: 16 });
  const tray = new Tray(icon);
  let destroyed = false;
  let shown = '';
  const refresh = () => {
    // A click on Quit destroys the tray (before-quit) before its own refresh runs.
    if (destroyed) return;
    const model = trayModel(readState());
    // Rebuilt only when it changed: a new menu closes the one the user may have open.
    const key = JSON.stringify(model);
    if (key === shown) return;
    shown = key;
    tray.setToolTip(model.tooltip);
    tray.setContextMenu(Menu.buildFromTemplate(model.items.map(toMenuItem)));
  };
  const toMenuItem = (item: ReturnType<typeof trayModel>['items'][number]): MenuItemConstructorOptions => {
    switch (item.kind) {
      case 'status':
        return { label: item.label, enabled: false };
      case 'separator':
        return { type: 'separator' };
      case 'action':
        return {
          label: item.label,
          ...(item.checked === undefined ? {} : { type: 'checkbox', checked: item.checked }),
          click: () => {
            actions[item.action]();
            refresh();
          },
        };
    }
  };
  tray.on('click', () => actions.open());
  refresh();
  const timer = setInterval(refresh, REFRESH_MS);
  return {
    refresh,
    destroy: () => {
      destroyed = true;
      clearInterval(timer);
      tray.destroy();
    },
  };
}
