// The record module itself, not the store's face (index.ts): this runs in the parser thread, whose
// start the whole store (lowdb, ioredis…) would slow by ~175 ms.
import { type AccessRecord, capText, REQUEST_ACTIONS } from '../store/access-record.js';

/**
 * Parsed records in columns: what the parser thread sends the import for one chunk of input. A
 * structured clone of a record object costs ~3.6 µs to receive; these flat arrays of strings and
 * numbers cost ~0.5 µs a record, so the thread's work is not paid back on arrival.
 * Index `i` of every column is one record; `undefined` marks an optional field left out.
 */
export interface ParsedColumns {
  timestamp: string[];
  ip: string[];
  method: string[];
  referrer: (string | undefined)[];
  status: number[];
  path: string[];
  query: (string | undefined)[];
  /** Index into REQUEST_ACTIONS. */
  action: number[];
  /** ns (ECS `event.duration`). */
  duration: number[];
  userAgent: (string | undefined)[];
  rule: (string | undefined)[];
  /** The deterministic `event.id` of each line ({@link LineIds}). */
  id: string[];
}

/** Empty columns to fill with {@link addRecord}. */
export function emptyColumns(): ParsedColumns {
  return {
    timestamp: [],
    ip: [],
    method: [],
    referrer: [],
    status: [],
    path: [],
    query: [],
    action: [],
    duration: [],
    userAgent: [],
    rule: [],
    id: [],
  };
}

/**
 * Appends one parsed record and its id to `columns`; any `event.id` the record has is replaced by
 * `id`. Client text (path, query, referrer, user agent) is cut to 4,096 characters, as the proxy cuts it.
 */
export function addRecord(columns: ParsedColumns, record: AccessRecord, id: string): void {
  columns.timestamp.push(record['@timestamp']);
  columns.ip.push(record.source.ip);
  columns.method.push(record.http.request.method);
  columns.referrer.push(optionalText(record.http.request.referrer));
  columns.status.push(record.http.response.status_code);
  columns.path.push(capText(record.url.path));
  columns.query.push(optionalText(record.url.query));
  columns.action.push(REQUEST_ACTIONS.indexOf(record.event.action));
  columns.duration.push(record.event.duration);
  columns.userAgent.push(optionalText(record.user_agent?.original));
  columns.rule.push(record.rule?.name);
  columns.id.push(id);
}

/** Client text cut as the proxy cuts it ({@link capText}); absent stays absent. */
function optionalText(text: string | undefined): string | undefined {
  return text === undefined ? undefined : capText(text);
}

/**
 * Record `i` of `columns` as an access record, fields in the order the parsers build them (so the
 * request log's serialiser takes its fast path); optional fields only when present.
 */
export function recordAt(columns: ParsedColumns, i: number): AccessRecord {
  const referrer = columns.referrer[i];
  const query = columns.query[i];
  const userAgent = columns.userAgent[i];
  const rule = columns.rule[i];
  const path = columns.path[i] as string;
  const record: AccessRecord = {
    '@timestamp': columns.timestamp[i] as string,
    source: { ip: columns.ip[i] as string },
    http: {
      request:
        referrer === undefined
          ? { method: columns.method[i] as string }
          : { method: columns.method[i] as string, referrer },
      response: { status_code: columns.status[i] as number },
    },
    url: query === undefined ? { path } : { path, query },
    event: {
      action: REQUEST_ACTIONS[columns.action[i] as number] ?? 'allowed',
      duration: columns.duration[i] as number,
      id: columns.id[i] as string,
    },
  };
  if (userAgent !== undefined) record.user_agent = { original: userAgent };
  if (rule !== undefined) record.rule = { name: rule };
  return record;
}
