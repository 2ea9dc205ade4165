/**
 * `<time>` elements showing "3 minutes ago" with the exact local time as a tooltip; one timer
 * keeps every such element on the page current.
 */
import { h } from '../dom.js';
import { formatDateTime, formatRelative } from '../format.js';

const REFRESH_MS = 30_000;
let ticking = false;

function refreshAll(): void {
  const now = Date.now();
  for (const element of document.querySelectorAll<HTMLTimeElement>('time.relative')) {
    element.textContent = formatRelative(element.dateTime, now);
  }
}

/** A relative time for an ISO timestamp; the absolute local time is in its title. */
export function timeAgo(iso: string): HTMLTimeElement {
  if (!ticking) {
    ticking = true;
    setInterval(refreshAll, REFRESH_MS);
  }
  return h(
    'time',
    { class: 'relative', attrs: { datetime: iso, title: formatDateTime(iso) } },
    formatRelative(iso, Date.now()),
  );
}

/** An absolute local time, e.g. for audit entries. */
export function timeAbsolute(iso: string): HTMLTimeElement {
  return h('time', { attrs: { datetime: iso } }, formatDateTime(iso));
}
