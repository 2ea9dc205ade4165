/**
 * The footer of a long list: "200 of 1,000 shown" and a Show more button. Hidden until the list is
 * drawn (and while it fails to load), so Show more never stands in for a list that is not there.
 * The count is a live region, and when the last page comes in, focus moves from the vanishing
 * button to the count, so a keyboard user keeps their place.
 */
import { button, h } from '../dom.js';
import { formatNumber } from '../format.js';

export interface ShowMore {
  element: HTMLElement;
  button: HTMLButtonElement;
  /**
   * Shows `shown` of `matched` entries. The count stays hidden while everything fits in the first
   * `page` entries; `matching` says the list is narrowed (a search or a filter).
   */
  update(shown: number, matched: number, page: number, matching?: boolean): void;
  /** Hides the footer (the list is loading or failed to). */
  hide(): void;
}

/** A Show more footer calling `onMore` on each click. */
export function showMore(onMore: () => void): ShowMore {
  const status = h('span', { class: 'muted', attrs: { role: 'status', tabindex: -1 } });
  const more = button('Show more', () => onMore(), { variant: 'small' });
  const element = h('div', { class: 'load-more' }, status, more);
  element.hidden = true;
  return {
    element,
    button: more,
    update(shown, matched, page, matching = false) {
      const hadFocus = document.activeElement === more;
      element.hidden = false;
      more.hidden = shown >= matched;
      status.hidden = more.hidden && shown <= page;
      status.textContent = `${formatNumber(shown)} of ${formatNumber(matched)}${matching ? ' matching' : ''} shown`;
      if (hadFocus && more.hidden) status.focus();
    },
    hide() {
      element.hidden = true;
    },
  };
}
