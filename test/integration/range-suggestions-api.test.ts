import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { record } from '../helpers/records.js';

let app: TestAppliance;
const json = { 'content-type': 'application/json' };

beforeAll(async () => {
  app = await startTestAppliance({ schedule: false });
  const now = Date.now();
  for (const ip of ['2001:db8:7:1::1', '2001:db8:7:1::2', '2001:db8:7:1::3'])
    await app.appliance.parts.detection.flags.raise(
      { ip, reason: 'failed_logins', count: 30, details: {}, seenAt: now },
      'test',
    );
  // An unflagged neighbour in the same /64 sent 2 requests within the last 24 h.
  app.appliance.parts.requestLog.append(record('2001:db8:7:1::99', now - 60_000));
  app.appliance.parts.requestLog.append(record('2001:db8:7:1::99', now - 50_000));
  await app.appliance.parts.requestLog.flush();
});
afterAll(async () => {
  await app.stop();
});

describe('GET /api/range-suggestions', () => {
  it('suggests the IPv6 /64 with its flagged IPs and legitimate traffic', async () => {
    const response = await app.admin('/api/range-suggestions');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      minIps: 3,
      windowMs: 86_400_000,
      suggestions: [
        {
          range: '2001:db8:7:1::/64',
          prefix: 64,
          ips: [{ ip: '2001:db8:7:1::1' }, { ip: '2001:db8:7:1::2' }, { ip: '2001:db8:7:1::3' }],
          legitimate: { requests: 2, ips: 1 },
        },
      ],
    });
  });

  it('dismisses with an audit entry, and answers 400 naming the field', async () => {
    const dismiss = (body: unknown) =>
      app.admin('/api/range-suggestions/dismiss', {
        method: 'POST',
        headers: json,
        body: JSON.stringify(body),
      });
    const bad = await dismiss({ range: '2001:db8:7:1::/64' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
      /field "flaggedIps"/,
    );
    const notCidr = await dismiss({ range: 'everything', flaggedIps: 3 });
    expect(notCidr.status).toBe(400);
    expect((await dismiss({ range: '2001:db8:7:1::/64', flaggedIps: 3 })).status).toBe(204);
    expect(app.appliance.parts.state.data.audit.at(-1)).toMatchObject({
      action: 'dismiss-range-suggestion',
      target: '2001:db8:7:1::/64',
      actor: 'admin-api',
    });
    expect(await (await app.admin('/api/range-suggestions')).json()).toMatchObject({ suggestions: [] });
  });
});
