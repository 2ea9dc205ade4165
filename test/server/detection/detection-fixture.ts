import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '../../../server/config.js';
import { createDetection, type Detection } from '../../../server/detection/index.js';
import { createLogger } from '../../../server/log.js';
import {
  AccessLists,
  createCounters,
  createRequestLog,
  openStateStore,
  type RequestLog,
  type StateStore,
} from '../../../server/store/index.js';

/** A fake clock: `now()` returns `t`, tests move it. */
export interface FakeClock {
  t: number;
  now: () => number;
}

export interface DetectionFixture {
  dir: string;
  clock: FakeClock;
  state: StateStore;
  lists: AccessLists;
  requestLog: RequestLog;
  detection: Detection;
  config: Config;
  close(): Promise<void>;
}

/** Detection over real stores in a temp dir, an in-process counters store and a fake clock. */
export async function detectionFixture(
  start = Date.parse('2026-03-02T10:00:00Z'),
  configFlags: Record<string, unknown> = {},
): Promise<DetectionFixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-detect-'));
  const config = loadConfig({ flags: { dataDir: dir, ...configFlags }, env: {}, cwd: dir });
  const clock: FakeClock = { t: start, now: () => clock.t };
  const state = await openStateStore({ dataDir: dir, now: () => new Date(clock.t) });
  const lists = new AccessLists(state, clock.now);
  const requestLog = await createRequestLog({ dir: path.join(dir, 'requests'), flushIntervalMs: 60_000 });
  const counters = createCounters({ prefix: 'test:' });
  const detection = createDetection({
    config: config.detection,
    dataDir: dir,
    state,
    lists,
    requestLog,
    counters,
    logger: createLogger('silent'),
    now: clock.now,
  });
  return {
    dir,
    clock,
    state,
    lists,
    requestLog,
    detection,
    config,
    async close() {
      await detection.live.close();
      await requestLog.close();
      await counters.quit();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
