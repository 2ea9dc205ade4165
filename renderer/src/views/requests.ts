/**
 * Request log: newest first, filtered by IP, path prefix, status, action, country and time; "Load
 * more" pages back with the cursor; new requests that match the filter appear at the top live.
 * Export CSV / JSON download exactly the current filter.
 */
import { get } from '../api.js';
import { exportButtons } from '../components/export-buttons.js';
import { createRequestTable } from '../components/request-table.js';
import { button, emptyState, field, h, select } from '../dom.js';
import { formatNumber } from '../format.js';
import { buildQuery } from '../query.js';
import {
  EMPTY_FILTER,
  filterParams,
  isEmptyFilter,
  matchesFilter,
  type RequestFilter,
} from '../request-filter.js';
import { routeHash } from '../route.js';
import { REQUEST_ACTIONS, type RequestPage } from '../types.js';
import { loading, pageHeader, showError, type View } from './view.js';

const PAGE_SIZE = 100;
const MAX_LIVE_ROWS = 1000;

/** ISO → the value of a datetime-local input (local time, minutes). */
function toLocalInput(iso: string): string {
  const date = new Date(iso);
  if (iso === '' || Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A datetime-local value (local time) → ISO, or '' when empty or invalid. */
function fromLocalInput(value: string): string {
  const date = new Date(value);
  return value === '' || Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

function filterFromQuery(query: Readonly<Record<string, string>>): RequestFilter {
  const action = REQUEST_ACTIONS.find((a) => a === query.action) ?? '';
  return { ...EMPTY_FILTER, ...query, action } as RequestFilter;
}

export const requestsView: View = (root, ctx, route) => {
  let filter = filterFromQuery(route.query);
  let cursor: string | null = null;
  let paused = 0;
  const table = createRequestTable('Requests, newest first');
  const status = h('p', { class: 'muted small', attrs: { role: 'status' } });
  const results = h('div', { class: 'card card-flush' }, loading());
  const more = button('Load more', () => void loadMore(), { variant: 'small' });
  more.hidden = true;
  const live = h('input', { attrs: { type: 'checkbox', checked: true } });
  const pausedNote = button('', () => void reload(), { variant: 'ghost small' });
  pausedNote.hidden = true;

  const inputs = {
    ip: h('input', {
      attrs: { type: 'text', placeholder: '203.0.113.7', autocomplete: 'off', spellcheck: 'false' },
    }),
    path: h('input', {
      attrs: { type: 'text', placeholder: '/login', autocomplete: 'off', spellcheck: 'false' },
    }),
    status: h('input', { attrs: { type: 'number', min: 100, max: 599, placeholder: '404' } }),
    action: select(
      [
        ['', 'Any'],
        ['allowed', 'Allowed'],
        ['blocked', 'Blocked'],
        ['rate_limited', 'Rate-limited'],
      ],
      filter.action,
    ),
    country: h('input', {
      attrs: { type: 'text', maxlength: 2, placeholder: 'GB', autocomplete: 'off', class: 'input-short' },
    }),
    since: h('input', { attrs: { type: 'datetime-local' } }),
    until: h('input', { attrs: { type: 'datetime-local' } }),
  };
  const fill = () => {
    inputs.ip.value = filter.ip;
    inputs.path.value = filter.path;
    inputs.status.value = filter.status;
    inputs.action.value = filter.action;
    inputs.country.value = filter.country;
    inputs.since.value = toLocalInput(filter.since);
    inputs.until.value = toLocalInput(filter.until);
  };
  const form = h(
    'form',
    { class: 'card filter-form', attrs: { 'aria-label': 'Filter requests' } },
    field('IP', inputs.ip),
    field('Path starts with', inputs.path),
    field('Status', inputs.status),
    field('Action', inputs.action),
    field('Country', inputs.country),
    field('From', inputs.since),
    field('To', inputs.until),
    h(
      'div',
      { class: 'form-buttons' },
      button('Apply', () => undefined, { type: 'submit', variant: 'primary' }),
      button(
        'Clear',
        () => {
          filter = { ...EMPTY_FILTER };
          fill();
          void reload();
        },
        { variant: 'ghost' },
      ),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    filter = {
      ip: inputs.ip.value.trim(),
      path: inputs.path.value.trim(),
      status: inputs.status.value.trim(),
      action: REQUEST_ACTIONS.find((a) => a === inputs.action.value) ?? '',
      country: inputs.country.value.trim().toUpperCase(),
      since: fromLocalInput(inputs.since.value),
      until: fromLocalInput(inputs.until.value),
    };
    void reload();
  });
  fill();

  root.append(
    pageHeader(
      'Request log',
      'Every request through the proxy, newest first.',
      exportButtons('requests', () => filterParams(filter)),
    ),
    form,
    h(
      'div',
      { class: 'toolbar' },
      h('label', { class: 'checkbox' }, live, ' Show new requests live'),
      pausedNote,
      status,
    ),
    results,
    h('div', { class: 'load-more' }, more),
  );

  async function fetchPage(after: string | null): Promise<RequestPage> {
    const query = buildQuery({ ...filterParams(filter), limit: PAGE_SIZE, cursor: after });
    return get<RequestPage>(`/api/requests${query}`, ctx.signal);
  }

  async function reload(): Promise<void> {
    // The entry's state is kept: the router numbers history entries there.
    history.replaceState(history.state, '', routeHash('requests', undefined, filterParams(filter)));
    paused = 0;
    pausedNote.hidden = true;
    results.replaceChildren(loading());
    more.hidden = true;
    try {
      const page = await fetchPage(null);
      table.clear();
      table.append(page.records);
      cursor = page.nextCursor;
      render();
    } catch (error) {
      status.textContent = ''; // the count was the last filter's
      showError(results, error, () => void reload());
    }
  }

  async function loadMore(): Promise<void> {
    if (cursor === null) return;
    more.disabled = true;
    try {
      const page = await fetchPage(cursor);
      table.append(page.records);
      cursor = page.nextCursor;
      render();
    } catch (error) {
      showError(results, error, () => void loadMore());
    } finally {
      more.disabled = false;
    }
  }

  function render(): void {
    more.hidden = cursor === null;
    status.textContent = `${formatNumber(table.size)} shown${cursor === null ? '' : ', more available'}`;
    if (table.size > 0) {
      if (results.firstElementChild !== table.element) results.replaceChildren(table.element);
      return;
    }
    const proxy = ctx.health()?.proxyUrl ?? 'the proxy address that “ipwarden start” printed';
    results.replaceChildren(
      isEmptyFilter(filter)
        ? emptyState(
            'No requests yet',
            `Send traffic through the proxy at ${proxy}; requests appear here as they happen.`,
          )
        : emptyState('No requests match these filters', 'Widen the filters or press Clear.'),
    );
  }

  ctx.onLeave(
    ctx.live.on('request', (record) => {
      if (!matchesFilter(record, filter)) return;
      if (!live.checked) {
        paused++;
        pausedNote.textContent = `${formatNumber(paused)} new — show`;
        pausedNote.hidden = false;
        return;
      }
      table.prepend(record, MAX_LIVE_ROWS);
      render();
    }),
  );
  live.addEventListener('change', () => {
    if (live.checked && paused > 0) void reload();
  });
  void reload();
};
