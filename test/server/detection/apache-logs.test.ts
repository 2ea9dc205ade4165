import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APACHE_LOGS, type CombinedLine, parseCombined } from '../../helpers/combined-log.js';
import { recordFromCombined } from '../../helpers/records.js';
import { type DetectionFixture, detectionFixture } from './detection-fixture.js';

/**
 * The shared real access log (17–20 May 2015) written into the request log with its own
 * timestamps, then the monitor job run over each of its clock hours.
 */
describe('monitor over ../shared/data/apache_logs', () => {
  let f: DetectionFixture;
  beforeAll(async () => {
    f = await detectionFixture(Date.parse('2015-05-21T00:00:00Z'));
    const lines = readFileSync(APACHE_LOGS, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => parseCombined(l) as CombinedLine);
    for (const line of lines) f.requestLog.append(recordFromCombined(line));
    await f.requestLog.flush();
  });
  afterAll(async () => {
    await f.close();
  });

  it('finds exactly one high_volume flag — 75.97.9.59, 108 requests in 08:00–09:00 UTC on 18 May — and no brute_force', async () => {
    const run = await f.detection.jobs.run('monitor', {
      range: { since: new Date('2015-05-17T00:00:00Z'), until: new Date('2015-05-21T00:00:00Z') },
    });
    expect(run.outcome).toBe('ok');
    expect(run.summary).toMatchObject({ records: 10_000, windows: 96 });
    const highVolume = f.detection.flags.list({ reason: 'high_volume' });
    expect(highVolume.map((x) => [x.ip, x.request_count])).toEqual([['75.97.9.59', 108]]);
    expect(highVolume[0]?.details.window).toEqual({
      start: '2015-05-18T08:00:00.000Z',
      end: '2015-05-18T09:00:00.000Z',
    });
    expect(f.detection.flags.list({ reason: 'brute_force' })).toEqual([]);
  });
});
