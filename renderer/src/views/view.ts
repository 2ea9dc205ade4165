/** What every view gets, and what it gives back. */
import { errorMessage, isQuiet } from '../api.js';
import { h } from '../dom.js';
import type { LiveEvents } from '../events.js';
import type { Route } from '../route.js';
import type { Health } from '../types.js';

export interface ViewContext {
  /** The live feed; subscriptions made through {@link ViewContext.subscribe} end with the view. */
  live: LiveEvents;
  /** Aborted when the operator leaves the view: pass it to API calls. */
  signal: AbortSignal;
  /** Registers a cleanup (an unsubscribe, a timer, a chart) to run when the view is left. */
  onLeave(cleanup: () => void): void;
  /**
   * Registers what leaving would lose: while `unsaved` returns a message, going to another page
   * asks the operator first (and stays on a No), and reloading or closing the tab asks the browser's
   * own question. Ends with the view.
   */
  guardLeave(unsaved: () => string | null): void;
  /** The latest health answer (for the proxy address in empty states), if any. */
  health(): Health | undefined;
  /** Asks the navigation to recount active flags (after a block or dismiss). */
  refreshFlagCount(): void;
}

/** A view draws into `root` (the `<main>` element) for `route` (its parameter and query). */
export type View = (root: HTMLElement, ctx: ViewContext, route: Route) => void;

/** The page heading, with an optional description and actions on the right. */
export function pageHeader(title: string, description?: string, ...actions: HTMLElement[]): HTMLElement {
  return h(
    'div',
    { class: 'page-header' },
    h(
      'div',
      null,
      h('h1', null, title),
      description === undefined ? null : h('p', { class: 'page-description' }, description),
    ),
    actions.length === 0 ? null : h('div', { class: 'page-actions' }, ...actions),
  );
}

/** An error box with the server's message and a Retry button. */
export function errorBox(error: unknown, retry?: () => void): HTMLElement {
  return h(
    'div',
    { class: 'error-box', attrs: { role: 'alert' } },
    h('p', null, errorMessage(error)),
    retry === undefined
      ? null
      : h('button', { class: 'btn btn-small', attrs: { type: 'button' }, on: { click: retry } }, 'Retry'),
  );
}

/** Shows `error` in `slot` unless it is quiet (aborted, or 401 with the sign-in form up). */
export function showError(slot: HTMLElement, error: unknown, retry?: () => void): void {
  if (isQuiet(error)) return;
  slot.replaceChildren(errorBox(error, retry));
}

/** A placeholder while data loads. */
export function loading(text = 'Loading…'): HTMLElement {
  return h('p', { class: 'loading muted', attrs: { role: 'status' } }, text);
}

/**
 * Runs `fn` at most once per `ms`, at the end of the interval (trailing), for live updates that
 * would otherwise refetch on every event.
 */
export function throttle(fn: () => void, ms: number): { (): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    timer ??= setTimeout(() => {
      timer = undefined;
      fn();
    }, ms);
  };
  run.cancel = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  return run;
}
