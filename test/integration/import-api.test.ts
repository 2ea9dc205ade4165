import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportJob } from '../../server/import/index.js';
import { startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { APACHE_LOGS } from '../helpers/combined-log.js';

let app: TestAppliance;
let apacheLogs: Buffer;

beforeAll(async () => {
  app = await startTestAppliance();
  apacheLogs = await readFile(APACHE_LOGS);
});
afterAll(async () => {
  await app.stop();
});

const octets = { 'content-type': 'application/octet-stream' };
/** The shared log's days: 17–20 May 2015. */
const LOG_RANGE = 'since=2015-05-17T00:00:00Z&until=2015-05-21T00:00:00Z';

type ImportAnswer = { import: ImportJob; error?: { status: number; message: string } };

async function upload(
  body: RequestInit['body'],
  query = 'format=auto&name=access.log',
): Promise<[number, ImportAnswer]> {
  const response = await app.admin(`/api/import?${query}`, {
    method: 'POST',
    headers: octets,
    body,
    duplex: 'half',
  } as RequestInit);
  return [response.status, (await response.json()) as ImportAnswer];
}

describe('POST /api/import', () => {
  it('needs the token and, from a browser session, the admin UI’s own Origin', async () => {
    const anonymous = await fetch(new URL('/api/import', app.addresses.adminUrl), {
      method: 'POST',
      headers: octets,
      body: 'x',
    });
    expect(anonymous.status).toBe(401);
    const foreign = await app.admin('/api/import', {
      method: 'POST',
      headers: { ...octets, origin: 'https://evil.example' },
      body: 'x',
    });
    expect(foreign.status).toBe(403);
    expect((await app.admin('/api/imports')).status).toBe(200);
    expect(((await (await app.admin('/api/imports')).json()) as { imports: unknown[] }).imports).toEqual([]);
  });

  it('refuses an unknown format (naming the field) and a JSON or form body, importing nothing', async () => {
    const [status, answer] = await upload(apacheLogs, 'format=xml');
    expect(status).toBe(400);
    expect(answer.error?.message).toMatch(
      /invalid query field "format": expected .*combined, common or auto/,
    );
    const json = await app.admin('/api/import', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(415);
    expect(((await (await app.admin('/api/imports')).json()) as { imports: unknown[] }).imports).toEqual([]);
  });

  it('imports the shared apache_logs (gzip) through the running writer into queries, stats and exports, once', async () => {
    // Build (and cache) the hourly rollups of those days first: the import must keep them exact.
    const before = (await (await app.admin(`/api/stats?${LOG_RANGE}`)).json()) as { total: number };
    expect(before.total).toBe(0);

    const [status, answer] = await upload(gzipSync(apacheLogs));
    expect(status).toBe(200);
    expect(answer.import).toMatchObject({ state: 'done', source: 'access.log', format: 'auto' });
    expect(answer.import.summary).toMatchObject({
      format: 'combined',
      linesRead: 10_000,
      imported: 10_000,
      duplicates: 0,
      rejected: 0,
    });
    const job = (await (await app.admin(`/api/imports/${answer.import.id}`)).json()) as ImportAnswer;
    expect(job.import.state).toBe('done');
    expect(job.import.progress.imported).toBe(10_000);

    const stats = (await (await app.admin(`/api/stats?${LOG_RANGE}`)).json()) as {
      total: number;
      uniqueIps: number;
    };
    expect(stats.total).toBe(10_000);
    expect(stats.uniqueIps).toBe(1753);
    const page = (await (await app.admin('/api/requests?ip=83.149.9.216&limit=1000')).json()) as {
      records: { '@timestamp': string; source: { geo?: { country_iso_code: string } } }[];
    };
    expect(page.records.length).toBeGreaterThan(0);
    expect(page.records.at(-1)?.['@timestamp']).toBe('2015-05-17T10:05:03.000Z');
    expect(page.records[0]?.source.geo?.country_iso_code).toBe('RU');
    const exported = await (await app.admin(`/api/export/requests?format=ndjson&${LOG_RANGE}`)).text();
    expect(exported.trimEnd().split('\n')).toHaveLength(10_000);

    const [againStatus, again] = await upload(apacheLogs);
    expect(againStatus).toBe(200);
    expect(again.import.summary).toMatchObject({ imported: 0, duplicates: 10_000 });
    const after = (await (await app.admin(`/api/stats?${LOG_RANGE}`)).json()) as { total: number };
    expect(after.total).toBe(10_000);
  });

  it('reports malformed lines by line number and refuses a second import while one runs (409)', async () => {
    const good = (s: number) =>
      `198.51.100.7 - - [02/Jan/2024:00:00:0${s} +0000] "GET /${s} HTTP/1.1" 200 1 "-" "ua"\n`;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        const encoder = new TextEncoder();
        controller.enqueue(encoder.encode(`${good(1)}not a log line\n${good(2)}`));
        await released;
        controller.enqueue(encoder.encode(`\n<script>alert(1)</script>\n${good(3)}`));
        controller.close();
      },
    });
    const first = upload(body, 'format=combined&name=mixed.log');
    let running: ImportJob | undefined;
    for (let i = 0; i < 200 && running?.progress.linesRead !== 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      running = ((await (await app.admin('/api/imports')).json()) as { imports: ImportJob[] }).imports.find(
        (j) => j.state === 'running',
      );
    }
    expect(running).toMatchObject({ source: 'mixed.log', progress: { linesRead: 3, rejected: 1 } });
    const [busy, busyAnswer] = await upload('x');
    expect(busy).toBe(409);
    expect(busyAnswer.error?.message).toMatch(/already running \(mixed\.log/);
    release();
    const [status, answer] = await first;
    expect(status).toBe(200);
    expect(answer.import.summary).toMatchObject({ linesRead: 6, imported: 3, rejected: 2, empty: 1 });
    expect(answer.import.summary?.rejections).toEqual([
      { line: 2, reason: expect.stringContaining('not combined format') },
      { line: 5, reason: expect.stringContaining('not combined format') },
    ]);
  });

  it('tells the live event stream about an import’s progress and end', async () => {
    const events = await app.admin('/api/events');
    const reader = (events.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let stream = '';
    const ended = (async () => {
      while (!/event: import\ndata: \{[^\n]*"state":"done"/.test(stream)) {
        const { value, done } = await reader.read();
        if (done) return;
        stream += decoder.decode(value);
      }
    })();
    const [status] = await upload(
      '203.0.113.8 - - [03/Jan/2024:00:00:01 +0000] "GET / HTTP/1.1" 200 1 "-" "ua"\n',
      'name=events.log',
    );
    expect(status).toBe(200);
    await ended;
    await reader.cancel();
    const finished = /event: import\ndata: (\{[^\n]*"state":"done"[^\n]*\})/.exec(stream)?.[1] as string;
    expect(JSON.parse(finished)).toMatchObject({ source: 'events.log', summary: { imported: 1 } });
  });

  it('answers 422 with the reason when the format cannot be told, and keeps the job', async () => {
    const [status, answer] = await upload('hello\nworld\n');
    expect(status).toBe(422);
    expect(answer.error?.message).toMatch(/cannot tell the log format/);
    expect(answer.import.state).toBe('failed');
    const [gzipStatus, gzip] = await upload(gzipSync(apacheLogs).subarray(0, 5000));
    expect(gzipStatus).toBe(422);
    expect(gzip.error?.message).toMatch(/looks like gzip but does not decompress/);
  });
});
