import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/log.js';
import { RecordBatch } from '../../../server/proxy/record-batch.js';
import type { AccessRecord } from '../../../server/store/index.js';
import { record } from '../../helpers/records.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));
const ips = (batch: readonly AccessRecord[]) => batch.map((r) => r.source.ip);

describe('RecordBatch', () => {
  it('hands over the records of one event-loop turn together, in order, once the turn is done', async () => {
    const batches: string[][] = [];
    const batch = new RecordBatch((records) => batches.push(ips(records)), createLogger('silent'));
    batch.push(record('192.0.2.1', 0));
    batch.push(record('192.0.2.2', 0));
    batch.push(record('192.0.2.3', 0));
    expect(batches).toEqual([]);
    await turn();
    expect(batches).toEqual([['192.0.2.1', '192.0.2.2', '192.0.2.3']]);
    batch.push(record('192.0.2.4', 0));
    await turn();
    expect(batches).toEqual([['192.0.2.1', '192.0.2.2', '192.0.2.3'], ['192.0.2.4']]);
  });

  it('drain hands over at once and leaves nothing for the scheduled turn', async () => {
    const batches: string[][] = [];
    const batch = new RecordBatch((records) => batches.push(ips(records)), createLogger('silent'));
    batch.push(record('192.0.2.1', 0));
    batch.drain();
    expect(batches).toEqual([['192.0.2.1']]);
    await turn();
    batch.drain();
    expect(batches).toEqual([['192.0.2.1']]);
  });

  it('logs a consumer that throws, and the next batch is still handed over', async () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const batches: string[][] = [];
    let fail = true;
    const batch = new RecordBatch(
      (records) => {
        if (fail) throw new Error('consumer broke');
        batches.push(ips(records));
      },
      createLogger('error', out),
    );
    batch.push(record('192.0.2.1', 0));
    await turn();
    fail = false;
    batch.push(record('192.0.2.2', 0));
    await turn();
    expect(batches).toEqual([['192.0.2.2']]);
    expect(lines.join('')).toContain('consumer broke');
    expect(lines.join('')).toContain('access records not handed over: 1');
  });
});
