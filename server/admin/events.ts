import type { EventEmitter } from 'node:events';
import type { Context } from 'koa';
import type { GeoLookup } from '../../geoip/index.js';
import type { FlagStore } from '../detection/index.js';
import type { ImportJob, ImportJobs } from '../import/index.js';
import type { AccessLists, AccessRecord } from '../store/index.js';

/** What the live event stream listens to. */
export interface LiveSources {
  records: EventEmitter<{ record: [AccessRecord] }>;
  flags: FlagStore;
  lists: AccessLists;
  geo: GeoLookup;
  /** Imports through the admin API: their progress and end. */
  imports: ImportJobs;
}

/** Request events sent per second at most; the `tick` event still counts every request. */
const MAX_REQUEST_EVENTS_PER_SECOND = 20;
const PING_MS = 15_000;

/**
 * `GET /api/events`: Server-Sent Events for the operator UI. Events: `tick` every second with the
 * requests counted since the last tick by action; `request` (an ECS record, geolocated; sampled to
 * 20 a second); `flag` (a new flag); `unflag`; `block`, `unblock`, `allow`, `disallow`
 * (`{ target }`); `import` (an import job: its progress at most every 250 ms, then its end); and a comment ping every 15 s so proxies keep the connection open.
 */
export function eventStream(sources: LiveSources) {
  return function streamEvents(ctx: Context): void {
    ctx.respond = false;
    const res = ctx.res;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const send = (event: string, data: unknown) =>
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

    let counts = { total: 0, allowed: 0, blocked: 0, rateLimited: 0 };
    let sentThisSecond = 0;
    const onRecord = (record: AccessRecord) => {
      counts.total++;
      if (record.event.action === 'allowed') counts.allowed++;
      else if (record.event.action === 'blocked') counts.blocked++;
      else counts.rateLimited++;
      if (sentThisSecond >= MAX_REQUEST_EVENTS_PER_SECOND) return;
      sentThisSecond++;
      const geo = record.source.geo ?? sources.geo.lookup(record.source.ip) ?? undefined;
      send('request', geo ? { ...record, source: { ...record.source, geo } } : record);
    };
    const onFlag = (flag: unknown) => send('flag', flag);
    const onUnflag = (flag: unknown) => send('unflag', flag);
    const onList = (change: { list: string; action: string; target: string }) => {
      const event =
        change.list === 'blocklist'
          ? change.action === 'add'
            ? 'block'
            : 'unblock'
          : change.action === 'add'
            ? 'allow'
            : 'disallow';
      send(event, { target: change.target });
    };
    const onImport = (job: ImportJob) => send('import', job);
    const tick = setInterval(() => {
      send('tick', { ...counts, at: new Date().toISOString() });
      counts = { total: 0, allowed: 0, blocked: 0, rateLimited: 0 };
      sentThisSecond = 0;
    }, 1000);
    const ping = setInterval(() => res.write(': ping\n\n'), PING_MS);

    sources.records.on('record', onRecord);
    sources.flags.on('flag', onFlag);
    sources.flags.on('unflag', onUnflag);
    sources.lists.on('change', onList);
    sources.imports.on('progress', onImport);
    sources.imports.on('finished', onImport);
    res.on('close', () => {
      clearInterval(tick);
      clearInterval(ping);
      sources.records.off('record', onRecord);
      sources.flags.off('flag', onFlag);
      sources.flags.off('unflag', onUnflag);
      sources.lists.off('change', onList);
      sources.imports.off('progress', onImport);
      sources.imports.off('finished', onImport);
    });
  };
}
