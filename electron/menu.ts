import { app, Menu, type MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  openDataFolder(): void;
  quit(): void;
}

/** The application menu: the platform's standard roles plus "Open Data Folder" and a link to the docs. */
export function setupMenu(actions: MenuActions): void {
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open Data Folder', click: () => actions.openDataFolder() },
        { type: 'separator' },
        { label: 'Quit ipwarden', accelerator: 'CmdOrCtrl+Q', click: () => actions.quit() },
      ],
    },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [{ label: `About ipwarden ${app.getVersion()}`, click: () => app.showAboutPanel() }],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
