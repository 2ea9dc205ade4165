import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/log.js';
import { initialSettings, overriddenConfig } from '../../server/saved-settings.js';
import { mergeSettings, type Settings, SettingsService, settingsToJson } from '../../server/settings.js';
import { openStateStore } from '../../server/store/index.js';
import { makeTempDir } from './helpers/temp-dir.js';

const config = loadConfig({ env: {}, cwd: '/', flags: { trustProxy: '10.0.0.0/8' } });
const current: Settings = {
  detection: { ...config.detection, retention: 365 * 86_400_000 },
  rateLimits: config.rateLimits,
  trustProxy: config.trustProxy,
};

describe('mergeSettings', () => {
  it('changes only the fields a partial change names, keeping the rest as they are in force', () => {
    const next = mergeSettings(current, { detection: { thresholds: { high_volume: 500 } } });
    expect(next.detection.thresholds.high_volume).toBe(500);
    expect(next.detection.retention).toBe(365 * 86_400_000);
    expect(next.detection.thresholds.admin_access).toBe(current.detection.thresholds.admin_access);
    expect(next.trustProxy.map((c) => c.text)).toEqual(['10.0.0.0/8']);
    expect(next.rateLimits).toEqual(current.rateLimits);
  });

  it('takes a whole settings object as it is, arrays replacing arrays', () => {
    const whole = { ...settingsToJson(current), trustProxy: [], rateLimits: [] };
    expect(settingsToJson(mergeSettings(current, whole))).toEqual(whole);
  });

  it('refuses what is not an object, a bad value and a prototype key, naming them', () => {
    expect(() => mergeSettings(current, [])).toThrow('invalid settings: (root): expected a JSON object');
    expect(() => mergeSettings(current, { detection: { retention: '90' } })).toThrow(
      'detection.retention: must be at least 1d',
    );
    expect(() => mergeSettings(current, JSON.parse('{"detection": {"__proto__": {"x": 1}}}'))).toThrow(
      'invalid settings: detection.__proto__: not a settings key',
    );
  });
});

describe('rate-limit rule names', () => {
  it('refuses two rules of one name, which would share one budget, naming the second', () => {
    const rule = (paths: string[]) => ({ name: 'x', paths, anonymous: { max: 1, period: '1m' } });
    expect(() => mergeSettings(current, { rateLimits: [rule(['/a']), rule(['/b'])] })).toThrow(
      'invalid settings: rateLimits.1.name: "x" is already the name of rule 0',
    );
    const other = { ...rule(['/b']), name: 'y' };
    expect(
      mergeSettings(current, { rateLimits: [rule(['/a']), other] }).rateLimits.map((r) => r.name),
    ).toEqual(['x', 'y']);
  });
});

describe('initialSettings', () => {
  const saved = {
    ...settingsToJson(current),
    detection: {
      ...current.detection,
      retention: 43_200_000,
      thresholds: { ...current.detection.thresholds, high_volume: 5_000 },
    },
    rateLimits: [],
    trustProxy: ['127.0.0.0/8'],
  };

  it('ignores only a saved value that no longer validates (a 12 h retention, now under the 1 d minimum)', () => {
    const problems: string[] = [];
    const settings = initialSettings(config, saved, (m) => problems.push(m));
    expect(settings.detection.retention).toBe(config.detection.retention);
    expect(settings.detection.thresholds.high_volume).toBe(5_000);
    expect(settings.rateLimits).toEqual([]);
    expect(settings.trustProxy.map((c) => c.text)).toEqual(['127.0.0.0/8']);
    expect(problems).toEqual([
      "saved setting detection.retention ignored (must be at least 1d (a number without a unit counts as milliseconds)); the config's value applies",
    ]);
  });

  it('drops unknown saved keys (from a newer version) and keeps the rest', () => {
    const problems: string[] = [];
    const withExtra = {
      ...saved,
      detection: { ...saved.detection, retention: '30d', future: 1 },
      later: true,
    };
    const settings = initialSettings(config, withExtra, (m) => problems.push(m));
    expect(settings.detection.retention).toBe(30 * 86_400_000);
    expect(settings.detection.thresholds.high_volume).toBe(5_000);
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(/saved setting later ignored/);
    expect(problems.join('\n')).toMatch(/saved setting detection\.future ignored/);
  });
});

describe('SettingsService', () => {
  it('forgets a saved value set back to the config, or one that no longer validates', async () => {
    const { dir, cleanup } = await makeTempDir();
    try {
      const state = await openStateStore({ dataDir: dir });
      // Saved by an older build: a retention under today's 1-day minimum, in force as the config's.
      await state.update((s) => {
        s.settings = { detection: { retention: 90, thresholds: { brute_force: 300 } } };
      });
      const inForce = initialSettings(config, state.data.settings, () => undefined);
      const service = new SettingsService(
        inForce,
        state,
        { apply: () => undefined },
        createLogger('silent'),
        {
          detection: config.detection,
          rateLimits: config.rateLimits,
          trustProxy: config.trustProxy,
        },
      );
      await service.update({ detection: { thresholds: { high_volume: 500 } } }, 'user:a');
      expect(state.data.settings).toEqual({
        detection: { thresholds: { brute_force: 300, high_volume: 500 } },
      });
      // Set back to the config's values: they follow the config again.
      await service.update({ detection: { thresholds: { high_volume: 100, brute_force: 200 } } }, 'user:a');
      expect(state.data.settings).toEqual({});
    } finally {
      await cleanup();
    }
  });

  it('saves only what was changed, so a value never changed keeps following the config', async () => {
    const { dir, cleanup } = await makeTempDir();
    try {
      const state = await openStateStore({ dataDir: dir });
      const service = new SettingsService(current, state, { apply: () => undefined }, createLogger('silent'));
      await service.update({ detection: { thresholds: { high_volume: 500 } } }, 'user:a');
      await service.update({ rateLimits: [] }, 'user:a');
      expect(state.data.settings).toEqual({
        detection: { thresholds: { high_volume: 500 } },
        rateLimits: [],
      });
      // Restarted with one more trusted proxy: it applies (saving a threshold froze the whole list).
      const restarted = loadConfig({ env: {}, cwd: '/', flags: { trustProxy: '10.0.0.0/8,192.0.2.0/24' } });
      const inForce = initialSettings(restarted, state.data.settings, () => undefined);
      expect(inForce.trustProxy.map((c) => c.text)).toEqual(['10.0.0.0/8', '192.0.2.0/24']);
      expect(inForce.detection.thresholds.high_volume).toBe(500);
      expect(inForce.rateLimits).toEqual([]);
      expect(inForce.detection.retention).toBe(restarted.detection.retention);
    } finally {
      await cleanup();
    }
  });

  it('applies two partial changes made at once, each over the other', async () => {
    const { dir, cleanup } = await makeTempDir();
    try {
      const state = await openStateStore({ dataDir: dir });
      const applied: Settings[] = [];
      const service = new SettingsService(
        current,
        state,
        { apply: (s) => applied.push(s) },
        createLogger('silent'),
      );
      await Promise.all([
        service.update({ detection: { thresholds: { high_volume: 500 } } }, 'user:a'),
        service.update({ detection: { retention: '30d' } }, 'user:b'),
        service.update({ detection: { retention: '1' } }, 'user:c').catch((err: Error) => err.message),
      ]);
      expect(service.inForce().detection).toMatchObject({
        retention: 30 * 86_400_000,
        thresholds: { high_volume: 500 },
      });
      expect(state.data.settings).toMatchObject({
        detection: { retention: 30 * 86_400_000, thresholds: { high_volume: 500 } },
      });
      expect(applied).toHaveLength(2);
    } finally {
      await cleanup();
    }
  });
});

describe('overriddenConfig', () => {
  it('names the settings saved in the UI that differ from the config, so the start can say so', () => {
    expect(overriddenConfig(config, current)).toEqual([{ at: 'detection.retention' }]);
    const next = mergeSettings(current, { rateLimits: [], detection: { thresholds: { brute_force: 300 } } });
    expect(overriddenConfig(config, next).map((o) => o.at)).toEqual([
      'detection.thresholds.brute_force',
      'detection.retention',
      'rateLimits',
    ]);
  });

  it('counts as set by a config file only the values the file names, not its whole object', async () => {
    const { dir, cleanup } = await makeTempDir();
    try {
      await writeFile(
        path.join(dir, 'ipwarden.config.json'),
        JSON.stringify({ detection: { thresholds: { high_volume: 500 } } }),
      );
      const fromFile = loadConfig({ env: {}, cwd: dir });
      const saved = mergeSettings(
        { detection: fromFile.detection, rateLimits: fromFile.rateLimits, trustProxy: fromFile.trustProxy },
        { detection: { retention: '365d', thresholds: { high_volume: 80 } } },
      );
      expect(overriddenConfig(fromFile, saved)).toEqual([
        {
          at: 'detection.thresholds.high_volume',
          setBy: `config file ${path.join(dir, 'ipwarden.config.json')}`,
        },
        { at: 'detection.retention' },
      ]);
    } finally {
      await cleanup();
    }
  });

  it('counts nothing as set by an empty object in the config file', async () => {
    const { dir, cleanup } = await makeTempDir();
    try {
      await writeFile(
        path.join(dir, 'ipwarden.config.json'),
        JSON.stringify({ detection: { thresholds: {} } }),
      );
      const fromFile = loadConfig({ env: {}, cwd: dir });
      const saved = mergeSettings(
        { detection: fromFile.detection, rateLimits: fromFile.rateLimits, trustProxy: fromFile.trustProxy },
        { detection: { thresholds: { high_volume: 80 } } },
      );
      expect(overriddenConfig(fromFile, saved)).toEqual([{ at: 'detection.thresholds.high_volume' }]);
    } finally {
      await cleanup();
    }
  });

  it('says which of them the operator set, and where: the others replace defaults', () => {
    const saved = mergeSettings(current, { trustProxy: ['192.0.2.0/24'] });
    expect(overriddenConfig(config, saved)).toEqual([
      { at: 'detection.retention' },
      { at: 'trustProxy', setBy: '--trust-proxy' },
    ]);
  });
});
