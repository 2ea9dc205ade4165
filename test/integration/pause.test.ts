import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRecords, startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

// The desktop app's "Pause protection": a paused appliance passes every client through, blocked or
// over a rate limit; resume enforces both again on the very next request.
describe('pause protection', () => {
  let upstream: TestUpstream;
  let app: TestAppliance;

  beforeAll(async () => {
    upstream = await startUpstream();
    app = await startTestAppliance({ upstream: upstream.url.href });
    await app.appliance.parts.accessLists.block({
      target: '127.0.0.1',
      reason: 'test',
      actor: 'test',
      force: true,
    });
  });
  afterAll(async () => {
    await app.stop();
    await upstream.close();
  });

  it('lets a blocked IP through while paused and blocks it again after resume', async () => {
    expect((await app.proxy('/before')).status).toBe(403);
    expect(app.appliance.paused).toBe(false);

    app.appliance.pause();
    expect(app.appliance.paused).toBe(true);
    const paused = await app.proxy('/while-paused');
    expect(paused.status).toBe(200);
    // Pass-through also lifts rate limits: the login rule's 5/min does not apply.
    for (let i = 0; i < 7; i++) {
      expect((await app.proxy('/login', { method: 'POST', body: 'user=x' })).status).not.toBe(429);
    }

    app.appliance.resume();
    expect(app.appliance.paused).toBe(false);
    expect((await app.proxy('/after')).status).toBe(403);

    const actions = (await allRecords(app)).map((r) => [r.url.path, r.event.action]);
    expect(actions).toEqual([
      ['/before', 'blocked'],
      ['/while-paused', 'allowed'],
      ...Array.from({ length: 7 }, () => ['/login', 'allowed']),
      ['/after', 'blocked'],
    ]);
  });
});
