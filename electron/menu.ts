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
      // On macOS the app menu already has Quit on Cmd+Q: File has none there, not a second binding.
      submenu: [
        { label: 'Open Data Folder', click: () => actions.openDataFolder() },
        ...(process.platform === 'darwin'
          ? []
          : [
              { type: 'separator' as const },
              { label: 'Quit ipwarden', accelerator: 'CmdOrCtrl+Q', click: () => actions.quit() },
            ]),
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
