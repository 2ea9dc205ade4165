/** The page's fixed parts, declared in index.html and looked up once. */

function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`index.html lacks #${id} (${type.name})`);
  return element;
}

export interface Shell {
  shell: HTMLElement;
  main: HTMLElement;
  nav: HTMLElement;
  skipLink: HTMLAnchorElement;
  version: HTMLElement;
  problems: HTMLElement;
  liveIndicator: HTMLElement;
  themeToggle: HTMLButtonElement;
  signOut: HTMLButtonElement;
  flagCount: HTMLElement;
  signIn: HTMLElement;
  signInForm: HTMLFormElement;
  signInToken: HTMLInputElement;
  signInError: HTMLElement;
  signInSubmit: HTMLButtonElement;
}

/** The shell's elements. Throws when index.html and the code disagree. */
export function findShell(): Shell {
  const shell = byId('shell', HTMLDivElement);
  const nav = shell.querySelector('nav');
  if (nav === null) throw new Error('index.html lacks the side navigation');
  return {
    shell,
    main: byId('main', HTMLElement),
    nav,
    skipLink: byId('skip-link', HTMLAnchorElement),
    version: byId('app-version', HTMLSpanElement),
    problems: byId('problems', HTMLDivElement),
    liveIndicator: byId('live-indicator', HTMLSpanElement),
    themeToggle: byId('theme-toggle', HTMLButtonElement),
    signOut: byId('sign-out', HTMLButtonElement),
    flagCount: byId('flag-count', HTMLSpanElement),
    signIn: byId('sign-in', HTMLElement),
    signInForm: byId('sign-in-form', HTMLFormElement),
    signInToken: byId('sign-in-token', HTMLInputElement),
    signInError: byId('sign-in-error', HTMLParagraphElement),
    signInSubmit: byId('sign-in-submit', HTMLButtonElement),
  };
}

/** The skip link moves focus to the content without touching the hash (which is the route). */
export function setupSkipLink(shell: Shell): void {
  shell.skipLink.addEventListener('click', (event) => {
    event.preventDefault();
    shell.main.focus();
  });
}
