/**
 * `<time>` elements showing "3 minutes ago" with the exact local time as a tooltip; one timer
 * keeps every such element on the page current.
 */
import { h } from '../dom.js';
import { formatDateAndTime, formatDateTime, formatRelative } from '../format.js';

const REFRESH_MS = 30_000;
let ticking = false;

function refreshAll(): void {
  const now = Date.now();
  for (const element of document.querySelectorAll<HTMLTimeElement>('time.relative')) {
    element.textContent = formatRelative(element.dateTime, now);
  }
}

/**
 * A relative time for an ISO timestamp; the absolute local time is in its title. With `beyondMs`,
 * a time further from now than that shows as the absolute time instead (imported records): its date
 * and its time of day in two spans (`when-date`, `when-time`) a narrow column can put on two lines.
 */
export function timeAgo(iso: string, beyondMs?: number): HTMLTimeElement {
  if (beyondMs !== undefined && Math.abs(Date.now() - Date.parse(iso)) > beyondMs) {
    const [date, time] = formatDateAndTime(iso);
    return h(
      'time',
      { class: 'absolute', attrs: { datetime: iso, title: formatRelative(iso, Date.now()) } },
      h('span', { class: 'when-date' }, date),
      ' ',
      h('span', { class: 'when-time' }, time),
    );
  }
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
