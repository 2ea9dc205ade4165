/**
 * The request table shared by the request log and the IP page. Every client-sent value (path,
 * query, user agent, referrer) is set as text.
 */
import { badge, h, ipLink, row, table } from '../dom.js';
import { countryName, formatDurationNs } from '../format.js';
import type { EcsRecord, RequestAction } from '../types.js';
import { timeAgo } from './time-ago.js';

const WEEK_MS = 7 * 86_400_000;

const ACTION_TONES: Readonly<Record<RequestAction, string>> = {
  allowed: 'ok',
  blocked: 'danger',
  rate_limited: 'warning',
};

const ACTION_LABELS: Readonly<Record<RequestAction, string>> = {
  allowed: 'allowed',
  blocked: 'blocked',
  rate_limited: 'rate-limited',
};

function statusTone(status: number): string {
  if (status >= 500) return 'danger';
  if (status >= 400) return 'warning';
  if (status >= 300) return 'info';
  return 'ok';
}

function countryCell(record: EcsRecord): HTMLElement | string {
  const geo = record.source.geo;
  if (geo === undefined)
    return h('span', { class: 'muted', attrs: { title: 'No location (private or unlisted address)' } }, '—');
  const name = geo.country_name ?? countryName(geo.country_iso_code);
  const where = geo.city_name === undefined ? name : `${geo.city_name}, ${name}`;
  return h('abbr', { attrs: { title: where } }, geo.country_iso_code);
}

function requestCell(record: EcsRecord): HTMLTableCellElement {
  const query = record.url.query ? h('span', { class: 'muted' }, `?${record.url.query}`) : null;
  const referrer = record.http.request.referrer;
  return h(
    'td',
    { class: 'cell-request' },
    h(
      'div',
      { class: 'request-wrap' },
      h('span', { class: 'method' }, record.http.request.method),
      ' ',
      h(
        'span',
        { class: 'path-box' },
        h('span', { class: 'mono path', attrs: { title: record.url.path } }, record.url.path, query),
      ),
      referrer
        ? h('div', { class: 'muted small referrer', attrs: { title: referrer } }, `from ${referrer}`)
        : null,
    ),
  );
}

/** One request as a table row. */
export function requestRow(record: EcsRecord, options: { showIp?: boolean } = {}): HTMLTableRowElement {
  const action = record.event.action;
  const status = record.http.response.status_code;
  const ua = record.user_agent?.original ?? '';
  const cells = [
    timeAgo(record['@timestamp'], WEEK_MS), // an imported record's date, not "12 years ago"
    options.showIp === false ? undefined : ipLink(record.source.ip),
    countryCell(record),
    requestCell(record),
    badge(String(status), statusTone(status)),
    badge(ACTION_LABELS[action] ?? action, ACTION_TONES[action] ?? 'neutral', record.rule?.name),
    h('span', { class: 'num' }, formatDurationNs(record.event.duration)),
    h('td', { class: 'cell-ua' }, h('div', { class: 'ua', attrs: { title: ua } }, ua)),
  ].filter((cell) => cell !== undefined);
  return row(...cells);
}

/** A request table with methods to add rows at either end and cap its length. */
export interface RequestTable {
  element: HTMLElement;
  append(records: readonly EcsRecord[]): void;
  prepend(record: EcsRecord, maxRows?: number): void;
  clear(): void;
  readonly size: number;
}

export function createRequestTable(caption: string, options: { showIp?: boolean } = {}): RequestTable {
  const headers = [
    'Time',
    options.showIp === false ? null : 'Client',
    'Country',
    'Request',
    'Status',
    'Action',
    'Duration',
    'User agent',
  ];
  const { table: element, body } = table(
    caption,
    headers.filter((header) => header !== null),
    { hiddenCaption: true, class: 'table-requests' },
  );
  element.dataset.testid = 'request-table';
  return {
    element: h('div', { class: 'table-scroll' }, element),
    append(records) {
      for (const record of records) body.append(requestRow(record, options));
    },
    prepend(record, maxRows = 500) {
      const tr = requestRow(record, options);
      tr.classList.add('row-new');
      body.prepend(tr);
      while (body.rows.length > maxRows) body.lastElementChild?.remove();
    },
    clear() {
      body.replaceChildren();
    },
    get size() {
      return body.rows.length;
    },
  };
}
