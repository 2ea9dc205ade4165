import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledDatabasePaths, openGeoip } from '../../geoip/index.js';

// The packaged desktop app keeps the bundled pair in resources/geoip/, outside node_modules.
describe('openGeoip({ bundledDir })', () => {
  it('opens the bundled pair from another folder', async () => {
    const dir = path.dirname(bundledDatabasePaths().ipv4);
    const geo = await openGeoip({ bundledDir: dir });
    expect(geo.lookup('8.8.8.8')?.country_iso_code).toBe('US');
  });

  it('names the missing file when the folder lacks the databases', async () => {
    const missing = path.join(os.tmpdir(), 'ipwarden-no-geoip-here');
    await expect(openGeoip({ bundledDir: missing })).rejects.toThrow(missing);
  });
});
