import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BacktestResult } from '../../server/detection/index.js';
import { startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { record } from '../helpers/records.js';

let app: TestAppliance;
const H = Date.parse('2026-01-05T10:00:00Z');
const json = { 'content-type': 'application/json' };

beforeAll(async () => {
  app = await startTestAppliance();
  const { requestLog } = app.appliance.parts;
  for (let i = 0; i < 70; i++) requestLog.append(record('203.0.113.7', H + i * 20_000));
  for (let i = 0; i < 70; i++) requestLog.append(record('203.0.113.8', H + i * 20_000));
  await requestLog.flush();
  const allowed = await app.admin('/api/allowlist', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ target: '203.0.113.8', reason: 'office' }),
  });
  expect(allowed.status).toBe(201);
});
afterAll(async () => {
  await app.stop();
});

const post = (body: unknown) =>
  app.admin('/api/backtest', { method: 'POST', headers: json, body: JSON.stringify(body) });

describe('POST /api/backtest', () => {
  it('returns the diff against the settings in force and writes no flag, block, audit entry or job run', async () => {
    const { state } = app.appliance.parts;
    const before = JSON.stringify(state.data);
    const response = await post({
      settings: { detection: { thresholds: { high_volume: 50 } } },
      since: '2026-01-05T00:00:00Z',
      until: '2026-01-06T00:00:00Z',
    });
    expect(response.status).toBe(200);
    const { backtest } = (await response.json()) as { backtest: BacktestResult };
    // .8 is allowlisted: never flagged.
    expect(backtest.diff.newlyFlagged.map((e) => [e.ip, e.reasons[0]?.count])).toEqual([['203.0.113.7', 70]]);
    expect(backtest.current.records).toBe(140);
    expect(JSON.stringify(state.data)).toBe(before);
  });

  it('answers 400 naming the field, and changes nothing', async () => {
    const before = JSON.stringify(app.appliance.parts.state.data);
    const message = async (body: unknown) => {
      const response = await post(body);
      expect(response.status).toBe(400);
      return ((await response.json()) as { error: { message: string } }).error.message;
    };
    expect(await message({ settings: {} })).toMatch(/field "since"/);
    expect(await message({ settings: {}, since: 'soon' })).toMatch(
      /field "since": expected an ISO 8601 time/,
    );
    expect(
      await message({ settings: {}, since: '2026-01-05T00:00:00Z', until: '2026-01-04T00:00:00Z' }),
    ).toMatch(/field "until": must be after since/);
    expect(await message({ settings: 5, since: '2026-01-05T00:00:00Z' })).toMatch(/field "settings"/);
    expect(
      await message({
        settings: { detection: { thresholds: { high_volume: 'many' } } },
        since: '2026-01-05T00:00:00Z',
      }),
    ).toMatch(/settings.*detection\.thresholds\.high_volume/);
    expect(await message({ settings: {}, since: '2026-01-05T00:00:00Z', extra: 1 })).toMatch(
      /extra|unrecognized/i,
    );
    expect(JSON.stringify(app.appliance.parts.state.data)).toBe(before);
  });
});
