import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AccessRecord, RequestAction } from '../../../server/store/access-record.js';

/** The fields tests vary; everything else gets a plain default. */
export interface RecordSpec {
  at: string;
  ip?: string;
  path?: string;
  status?: number;
  action?: RequestAction;
  country?: string;
  countryName?: string;
  userAgent?: string;
}

/** Builds an access record the way the proxy would. */
export function makeRecord(spec: RecordSpec): AccessRecord {
  const record: AccessRecord = {
    '@timestamp': spec.at,
    source: { ip: spec.ip ?? '203.0.113.7' },
    http: { request: { method: 'GET' }, response: { status_code: spec.status ?? 200 } },
    url: { path: spec.path ?? '/' },
    event: { action: spec.action ?? 'allowed', duration: 1_250_000 },
  };
  if (spec.country !== undefined) {
    record.source.geo = { country_iso_code: spec.country };
    if (spec.countryName !== undefined) record.source.geo.country_name = spec.countryName;
  }
  if (spec.userAgent !== undefined) record.user_agent = { original: spec.userAgent };
  return record;
}

/** `count` records on UTC `day`, one per minute from midnight, with paths `/<day>/<i>`. */
export function recordsOnDay(day: string, count: number, spec: Partial<RecordSpec> = {}): AccessRecord[] {
  return Array.from({ length: count }, (_, i) =>
    makeRecord({
      path: `/${day}/${i}`,
      ...spec,
      at: new Date(Date.parse(`${day}T00:00:00.000Z`) + i * 60_000).toISOString(),
    }),
  );
}

/** A fresh temp directory and a cleanup for afterEach. */
export async function makeTempDir(): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'ipwarden-request-log-'));
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}
