import { describe, expect, it } from 'vitest';
import {
  fieldInMessage,
  fromFormValues,
  isFieldError,
  parseLines,
  settingsChanges,
  toFormValues,
} from '../../renderer/src/settings-form.js';
import type { Settings } from '../../renderer/src/types.js';

const settings: Settings = {
  detection: {
    thresholds: {
      high_volume: 100,
      brute_force: 200,
      sensitive_paths: 5,
      failed_logins: 10,
      admin_access: 3,
    },
    window: 3_600_000,
    sensitivePaths: ['/admin/**', '/login'],
    adminPaths: ['/admin/**'],
    loginPaths: ['/login', '/api/login/'],
    failedLoginStatuses: [401, 403],
    flagTtl: 604_800_000,
    autoBlockReasons: 3,
    autoBlockFor: 604_800_000,
    retention: 7_776_000_000,
    ml: { enabled: true },
  },
  rateLimits: [
    {
      name: 'login',
      paths: ['/login', '/api/login/'],
      methods: ['POST'],
      anonymous: { max: 5, period: 60_000 },
      authenticated: { max: 10, period: 60_000 },
    },
  ],
  trustProxy: ['127.0.0.1/32'],
};

describe('settings form', () => {
  it('shows durations the way operators write them and lists one per line', () => {
    const values = toFormValues(settings);
    expect(values.flagTtl).toBe('7d');
    expect(values.retention).toBe('90d');
    expect(values.sensitivePaths).toBe('/admin/**\n/login');
    expect(values.failedLoginStatuses).toBe('401, 403');
    expect(values.rateLimits[0]).toMatchObject({
      paths: '/login\n/api/login/',
      anonPeriod: '1m',
      authMax: '10',
    });
  });

  it('round-trips unchanged values and keeps fields the form does not show', () => {
    const next = fromFormValues(toFormValues(settings), settings);
    expect(isFieldError(next)).toBe(false);
    if (isFieldError(next)) return;
    expect(next.detection.thresholds).toEqual(settings.detection.thresholds);
    expect(next.detection.window).toBe(3_600_000);
    expect(next.detection.ml).toEqual({ enabled: true });
    expect(next.detection.flagTtl).toBe('7d');
    expect(next.rateLimits[0]).toMatchObject({
      name: 'login',
      methods: ['POST'],
      anonymous: { max: 5, period: '1m' },
    });
    expect(next.trustProxy).toEqual(['127.0.0.1/32']);
  });

  it('reads edits: new thresholds, blank lines dropped, a rule without a signed-in limit', () => {
    const values = toFormValues(settings);
    values.thresholds.failed_logins = '20';
    values.loginPaths = '/login\n\n  /signin  \n';
    values.failedLoginStatuses = '200,  302';
    values.rateLimits.push({
      name: 'api',
      paths: '/api/**',
      methods: 'get post',
      anonMax: '600',
      anonPeriod: '1m',
      authMax: '',
      authPeriod: '',
    });
    const next = fromFormValues(values, settings);
    if (isFieldError(next)) throw new Error(next.message);
    expect(next.detection.thresholds.failed_logins).toBe(20);
    expect(next.detection.loginPaths).toEqual(['/login', '/signin']);
    expect(next.detection.failedLoginStatuses).toEqual([200, 302]);
    // Empty is none, which the server takes (only the rate limit's 429s then count as failed logins).
    values.failedLoginStatuses = ' ';
    const none = fromFormValues(values, settings);
    expect(isFieldError(none) ? none.message : none.detection.failedLoginStatuses).toEqual([]);
    expect(next.rateLimits[1]).toEqual({
      name: 'api',
      paths: ['/api/**'],
      methods: ['GET', 'POST'],
      anonymous: { max: 600, period: '1m' },
    });
  });

  it('names the first field it cannot read', () => {
    const values = toFormValues(settings);
    values.thresholds.admin_access = 'three';
    const bad = fromFormValues(values, settings);
    expect(isFieldError(bad) && bad.field).toBe('detection.thresholds.admin_access');

    const values2 = toFormValues(settings);
    values2.retention = 'forever';
    const bad2 = fromFormValues(values2, settings);
    expect(isFieldError(bad2) && bad2.message).toMatch(/detection\.retention: expected a duration/);

    for (const text of ['401, 4O3', '99', '600']) {
      const values4 = toFormValues(settings);
      values4.failedLoginStatuses = text;
      const bad4 = fromFormValues(values4, settings);
      expect(isFieldError(bad4) && bad4.field, text).toBe('detection.failedLoginStatuses');
    }

    const values3 = toFormValues(settings);
    if (values3.rateLimits[0]) values3.rateLimits[0].anonMax = '0';
    const bad3 = fromFormValues(values3, settings);
    expect(isFieldError(bad3) && bad3.field).toBe('rateLimits.0.anonymous.max');
  });

  it('finds the field a server message names first', () => {
    const fields = [
      'detection.thresholds.high_volume',
      'detection.flagTtl',
      'rateLimits.0.anonymous.max',
      'rateLimits.1.paths',
    ];
    expect(
      fieldInMessage(
        'invalid settings: detection.flagTtl: expected a duration; rateLimits.1.paths: bad',
        fields,
      ),
    ).toBe('detection.flagTtl');
    expect(fieldInMessage('rateLimits[0].anonymous.max must be positive', fields)).toBe(
      'rateLimits.0.anonymous.max',
    );
    expect(fieldInMessage('something else', fields)).toBeUndefined();
  });

  it('splits textareas into trimmed lines', () => {
    expect(parseLines(' a \r\n\n b\n')).toEqual(['a', 'b']);
  });
});

describe('settingsChanges', () => {
  it('sees no change in a rate-limit rule whose paths hold commas and spaces', () => {
    // These were split on commas and spaces, so any Save that included the rule was refused.
    const odd: Settings = {
      ...settings,
      rateLimits: [
        {
          name: 'odd',
          paths: ['/search,advanced', '/my page/**', '/a, /b'],
          methods: ['GET', 'POST'],
          anonymous: { max: 5, period: '1m' },
        },
      ],
    };
    const values = toFormValues(odd);
    expect(values.rateLimits[0]?.paths).toBe('/search,advanced\n/my page/**\n/a, /b');
    const next = fromFormValues(values, odd) as Settings;
    expect(next.rateLimits[0]?.paths).toEqual(odd.rateLimits[0]?.paths);
    expect(settingsChanges(next, odd)).toEqual({});
  });

  it('keeps only what the form changed: objects key by key, arrays whole', () => {
    const values = toFormValues(settings);
    expect(settingsChanges(fromFormValues(values, settings) as Settings, settings)).toEqual({});
    values.thresholds.high_volume = '80';
    values.trustProxy = '127.0.0.1/32\n10.0.0.0/8';
    const next = fromFormValues(values, settings) as Settings;
    expect(settingsChanges(next, settings)).toEqual({
      detection: { thresholds: { high_volume: 80 } },
      trustProxy: ['127.0.0.1/32', '10.0.0.0/8'],
    });
  });
});
