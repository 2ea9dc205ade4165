/**
 * Shapes of the admin API's JSON answers, as the UI reads them (README "Admin API"). Optional
 * fields are ones a server may leave out; the views guard them at use.
 */

/** What the proxy did with a request (ECS `event.action`). */
export type RequestAction = 'allowed' | 'blocked' | 'rate_limited';

/** Every {@link RequestAction}, in display order. */
export const REQUEST_ACTIONS: readonly RequestAction[] = ['allowed', 'blocked', 'rate_limited'];

/** One request-log record, Elastic Common Schema field names. `event.duration` is in ns. */
export interface EcsRecord {
  '@timestamp': string;
  source: { ip: string; geo?: { country_iso_code: string; country_name?: string; city_name?: string } };
  http: { request: { method: string; referrer?: string }; response: { status_code: number } };
  url: { path: string; query?: string };
  user_agent?: { original: string };
  event: { action: RequestAction; duration: number };
  rule?: { name: string };
}

/** `GET /api/health`. `proxyUrl` is optional: where operators send traffic, shown in empty states. */
export interface Health {
  status: 'ok' | 'degraded';
  version: string;
  problems: string[];
  proxyUrl?: string;
}

/** One bucket of the stats timeline: counts of requests starting at `t` (ISO). */
export interface TimelinePoint {
  t: string;
  allowed: number;
  blocked: number;
  rateLimited: number;
}

export interface CountryCount {
  code: string;
  name?: string;
  count: number;
}

/** `GET /api/stats`. */
export interface Stats {
  total: number;
  allowed: number;
  blocked: number;
  rateLimited: number;
  uniqueIps: number;
  topCountries: CountryCount[];
  topIps: { ip: string; count: number; country?: string }[];
  topPaths: { path: string; count: number }[];
  statusCodes: Record<string, number>;
  activeBlocks: number;
  activeFlags: number;
  /** Distinct IPs with an active flag (what the navigation badge counts). */
  flaggedIps: number;
  /** Every country seen in the range, for the map (older servers: absent, use topCountries). */
  countries?: CountryCount[];
  timeline?: TimelinePoint[];
}

/** `GET /api/requests`. */
export interface RequestPage {
  records: EcsRecord[];
  nextCursor: string | null;
}

/** The evidence a flag carries; which fields are present depends on the reason and the source. */
export interface FlagDetails {
  count?: number;
  threshold?: number;
  /** Live flags: `{ minutes, end }`; monitor flags: `{ start, end }` (ISO). */
  window?: { minutes?: number; start?: string; end?: string } | number | string;
  samplePaths?: string[];
  score?: number;
  source?: string;
  features?: Record<string, number>;
  [key: string]: unknown;
}

/** A SuspiciousIP record. `country` (ISO alpha-2) is optional: not every server sends it. */
export interface Flag {
  ip: string;
  reason: string;
  details: FlagDetails;
  request_count: number;
  first_seen: string;
  last_seen: string;
  is_active: boolean;
  /** ISO alpha-2, or null when the geolocation database does not know the IP (`GET /api/flags`). */
  country?: string | null;
  /** The block in force that covers the IP, or null (`GET /api/flags`). */
  block?: FlagBlock | null;
}

/** A blocklist entry as `GET /api/flags` names it on a flag. */
export type FlagBlock = Omit<BlockEntry, 'expired'>;

export interface BlockEntry {
  target: string;
  reason: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  expired: boolean;
}

/** `GET /api/blocks`: a page, newest first, and the list's counts. */
export interface BlockPage {
  blocks: BlockEntry[];
  /** Blocks on the list, expired ones included. */
  total: number;
  /** Blocks that match the search (`total` without one). */
  matched: number;
  /** Blocks still in force. */
  active: number;
}

/** `GET /api/allowlist`: a page, newest first, and the list's counts. */
export interface AllowPage {
  allowlist: AllowEntry[];
  total: number;
  matched: number;
}

export interface AllowEntry {
  target: string;
  reason: string;
  createdAt: string;
  createdBy: string;
}

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  target: string;
  reason?: string;
}

/** `GET /api/ips/:ip`. */
export interface IpDetail {
  ip: string;
  decision: 'blocked' | 'allowlisted' | 'none';
  block?: BlockEntry;
  flags: Flag[];
  requests: EcsRecord[];
  countries: CountryCount[];
  audit: AuditEntry[];
}

/** `POST /api/blocks` → 201. */
export interface BlockResult {
  entry: BlockEntry;
  warnings: string[];
}

export type ThresholdName =
  | 'high_volume'
  | 'brute_force'
  | 'sensitive_paths'
  | 'failed_logins'
  | 'admin_access';

/** A rate-limit budget: `max` requests per `period` (ms; strings like '1m' accepted on PUT). */
export interface RateBudget {
  max: number;
  period: number | string;
}

export interface RateLimitRule {
  name: string;
  paths: string[];
  methods: string[];
  anonymous: RateBudget;
  authenticated?: RateBudget;
}

/** `GET/PUT /api/settings` → `{ settings }`. Durations are ms (strings like '7d' accepted on PUT). */
export interface Settings {
  detection: {
    thresholds: Record<ThresholdName, number>;
    sensitivePaths: string[];
    adminPaths: string[];
    loginPaths: string[];
    /** Upstream statuses that make an answer on a login path a failed login (default 401, 403). */
    failedLoginStatuses: number[];
    flagTtl: number | string;
    autoBlockReasons: number;
    autoBlockFor: number | string;
    retention: number | string;
    [key: string]: unknown;
  };
  rateLimits: RateLimitRule[];
  trustProxy: string[];
  [key: string]: unknown;
}

/**
 * The `tick` live event, every second: requests counted since the previous tick, by action. Exact
 * even when `request` events are sampled under load.
 */
export interface TickEvent {
  total: number;
  allowed: number;
  blocked: number;
  rateLimited: number;
  /** When the tick was sent (ISO). */
  at: string;
}

/** Data of the `block`, `unblock`, `allow` and `disallow` live events. */
export interface TargetEvent {
  target: string;
}

/** The log formats `POST /api/import` reads; `auto` detects one from the first lines. */
export type ImportFormat = 'auto' | 'combined' | 'common' | 'nginx-json' | 'ecs-ndjson';

/** Where an import has got to (lines, bytes, ms). `totalBytes` is absent when the size is unknown. */
export interface ImportProgress {
  linesRead: number;
  imported: number;
  duplicates: number;
  rejected: number;
  empty: number;
  bytesRead: number;
  totalBytes?: number;
  elapsedMs: number;
}

/** What a finished import did. `rejections` quote the input: show them as text only. */
export interface ImportSummary extends ImportProgress {
  format: Exclude<ImportFormat, 'auto'>;
  earliest: string | null;
  latest: string | null;
  rejections: { line: number; reason: string }[];
  linesPerSecond: number;
  /** Set when records are older than the request log's retention: their days go at the next retention run. */
  beyondRetention?: { retentionDays: number; firstKeptDay: string };
}

/** An import job (`GET /api/imports`, `POST /api/import`). */
export interface ImportJob {
  id: string;
  state: 'running' | 'done' | 'failed';
  source: string;
  format: ImportFormat;
  startedAt: string;
  finishedAt?: string;
  progress: ImportProgress;
  summary?: ImportSummary;
  error?: string;
}
