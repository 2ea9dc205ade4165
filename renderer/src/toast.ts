/**
 * Toasts: short notices in a polite live region, bottom right. Errors stay longer and are
 * announced assertively; every toast can be closed with its button.
 */
import { h } from './dom.js';

export type ToastTone = 'success' | 'info' | 'warning' | 'error';

export interface ToastOptions {
  tone?: ToastTone;
  /** A link shown after the message, e.g. to the IP a flag names. */
  link?: { text: string; href: string };
  /** How long it stays (ms); errors default to 10 s, others to 5 s. */
  timeout?: number;
}

const MAX_TOASTS = 5;

function region(): HTMLElement {
  let element = document.getElementById('toasts');
  if (element === null) {
    element = h('div', { class: 'toasts', attrs: { id: 'toasts', 'aria-live': 'polite' } });
    document.body.append(element);
  }
  return element;
}

/** Shows a toast; returns a function that removes it. */
export function toast(message: string, options: ToastOptions = {}): () => void {
  const tone = options.tone ?? 'success';
  const container = region();
  const close = () => element.remove();
  const element = h(
    'div',
    {
      class: `toast toast-${tone}`,
      attrs: { role: tone === 'error' ? 'alert' : 'status' },
      data: { testid: 'toast' },
    },
    h('span', { class: 'toast-text' }, message),
    options.link === undefined
      ? null
      : h(
          'a',
          { class: 'toast-link', attrs: { href: options.link.href }, on: { click: close } },
          options.link.text,
        ),
    h(
      'button',
      {
        class: 'toast-close',
        attrs: { type: 'button', 'aria-label': 'Dismiss notice' },
        on: { click: close },
      },
      '×',
    ),
  );
  container.append(element);
  while (container.childElementCount > MAX_TOASTS) container.firstElementChild?.remove();
  setTimeout(close, options.timeout ?? (tone === 'error' ? 10_000 : 5_000));
  return close;
}
