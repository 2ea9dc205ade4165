/**
 * Hash routing: `#/dashboard`, `#/flags`, `#/ip/<ip>`, `#/lists`, `#/requests`, `#/import`, `#/settings`. Each
 * navigation leaves the old view (aborting its requests, ending its subscriptions) and mounts the
 * new one into `<main>`.
 */
import { emptyState, h } from './dom.js';
import { parseRoute, type Route, type RouteName } from './route.js';
import { dashboardView } from './views/dashboard.js';
import { flagsView } from './views/flags.js';
import { importView } from './views/import.js';
import { ipDetailView } from './views/ip-detail.js';
import { listsView } from './views/lists.js';
import { requestsView } from './views/requests.js';
import { settingsView } from './views/settings.js';
import { pageHeader, type View, type ViewContext } from './views/view.js';

const notFoundView: View = (root) => {
  root.append(
    pageHeader('Page not found'),
    emptyState(
      'Nothing here',
      'That address is not a page of the operator UI.',
      h('a', { attrs: { href: '#/dashboard' } }, 'Go to the dashboard'),
    ),
  );
};

const VIEWS: Readonly<Record<RouteName, View>> = {
  dashboard: dashboardView,
  flags: flagsView,
  ip: ipDetailView,
  lists: listsView,
  requests: requestsView,
  import: importView,
  settings: settingsView,
  'not-found': notFoundView,
};

const TITLES: Readonly<Record<RouteName, string>> = {
  dashboard: 'Dashboard',
  flags: 'Flagged IPs',
  ip: 'IP',
  lists: 'Block & allow lists',
  requests: 'Request log',
  import: 'Import logs',
  settings: 'Settings',
  'not-found': 'Not found',
};

/** What the router needs from the app besides the route: everything in a ViewContext but the per-view parts. */
export type AppContext = Omit<ViewContext, 'signal' | 'onLeave' | 'guardLeave'>;

export interface Router {
  start(): void;
  stop(): void;
  /** Asks about unsaved changes on the page shown, if it has any; false when the operator stays. */
  mayLeave(): boolean;
}

const POSITION = 'ipwardenPosition';

/** The history position stored in an entry's state by {@link historyPosition}, or null for a new entry. */
function positionOf(state: unknown): number | null {
  const value = (state as Record<string, unknown> | null)?.[POSITION];
  return typeof value === 'number' ? value : null;
}

/**
 * The current history entry's position, numbered in the order entries are first shown (kept in
 * the entry's state and, for the count, in this tab's session storage).
 */
function historyPosition(): number {
  const known = positionOf(history.state);
  if (known !== null) return known;
  const next = Number(sessionStorage.getItem(POSITION) ?? '0') + 1;
  sessionStorage.setItem(POSITION, String(next));
  history.replaceState({ ...(history.state as object | null), [POSITION]: next }, '');
  return next;
}

export function createRouter(main: HTMLElement, nav: HTMLElement, app: AppContext): Router {
  let leave: (() => void) | undefined;
  let unsaved: (() => string | null) | undefined;
  /** The address of the view on screen and its history position, to go back to when the operator stays. */
  let shown = location.href;
  let shownPosition = 0;
  /** Set while the router itself steps back to the shown entry: that hashchange mounts nothing. */
  let returning = false;

  function mount(route: Route, focus: boolean): void {
    leave?.();
    shown = location.href;
    shownPosition = historyPosition();
    const controller = new AbortController();
    const cleanups: (() => void)[] = [];
    leave = () => {
      controller.abort();
      for (const cleanup of cleanups.splice(0)) cleanup();
      leave = undefined;
      unsaved = undefined;
    };
    main.replaceChildren();
    window.scrollTo(0, 0); // a new view starts at its top, not where the last one was scrolled to
    const section = route.name === 'ip' ? 'flags' : route.name;
    for (const link of nav.querySelectorAll<HTMLAnchorElement>('a[data-route]')) {
      if (link.dataset.route === section && route.name !== 'ip') link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    document.title = `${route.name === 'ip' ? (route.param ?? 'IP') : TITLES[route.name]} · ipwarden`;
    main.dataset.view = route.name;
    VIEWS[route.name](
      main,
      {
        ...app,
        signal: controller.signal,
        onLeave: (cleanup) => cleanups.push(cleanup),
        guardLeave: (check) => {
          unsaved = check;
        },
      },
      route,
    );
    if (focus) main.focus({ preventScroll: false });
  }

  const onHashChange = () => {
    if (returning) {
      returning = false;
      // Back on the shown entry; if the step landed elsewhere (a jump of several entries), the
      // address is put right without a new entry.
      if (location.href !== shown) history.replaceState(history.state, '', shown);
      return;
    }
    if (!mayLeave()) {
      // The address already changed. Step back to the shown entry rather than overwrite this one,
      // which would lose the page it was (Back then Cancel) or leave two entries of this page (a
      // link then Cancel): a new entry has no position yet, an older one a lower position.
      const target = positionOf(history.state);
      returning = true;
      // Only for the step's own hashchange: should none come, the next navigation is the operator's.
      setTimeout(() => {
        returning = false;
      }, 1_000);
      if (target === null || target > shownPosition) history.back();
      else history.forward();
      return;
    }
    mount(parseRoute(location.hash), true);
  };
  function mayLeave(): boolean {
    const question = unsaved?.();
    return !question || window.confirm(`${question}\n\nLeave this page anyway?`);
  }
  const onBeforeUnload = (event: BeforeUnloadEvent) => {
    if (!unsaved?.()) return;
    event.preventDefault();
    event.returnValue = ''; // older browsers ask only when this is set
  };

  return {
    mayLeave,
    start() {
      window.addEventListener('hashchange', onHashChange);
      window.addEventListener('beforeunload', onBeforeUnload);
      if (location.hash === '' || location.hash === '#' || location.hash === '#/')
        history.replaceState(null, '', '#/dashboard');
      mount(parseRoute(location.hash), false);
    },
    stop() {
      window.removeEventListener('hashchange', onHashChange);
      window.removeEventListener('beforeunload', onBeforeUnload);
      leave?.();
      main.replaceChildren();
    },
  };
}
