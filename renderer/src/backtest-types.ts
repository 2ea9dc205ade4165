/**
 * Shapes of `POST /api/backtest` and `GET /api/range-suggestions` answers, as the UI reads them
 * (server/detection/backtest.ts and range-suggestions.ts are the source).
 */

export interface BacktestReason {
  reason: string;
  count: number;
  threshold?: number;
  score?: number;
  windows: number;
  firstAt: string;
  details: Record<string, unknown>;
}

export interface BacktestIp {
  ip: string;
  reasons: BacktestReason[];
  otherReasons: string[];
  laterLogins: number;
  likelyFalsePositive: boolean;
  alreadyBlocked: boolean;
}

export interface BacktestSideSummary {
  windows: number;
  records: number;
  lateRecords: number;
  flaggedIps: number;
  blockedIps: number;
  rateLimitedRequests: number;
}

export interface BacktestResult {
  since: string;
  until: string;
  current: BacktestSideSummary;
  candidate: BacktestSideSummary;
  diff: {
    newlyFlagged: BacktestIp[];
    noLongerFlagged: BacktestIp[];
    reasonsChanged: BacktestIp[];
    newlyBlocked: BacktestIp[];
    noLongerBlocked: BacktestIp[];
    rateLimited: { ip: string; rule: string; current: number; candidate: number }[];
  };
}

export interface RangeSuggestion {
  range: string;
  family: 4 | 6;
  prefix: number;
  ips: { ip: string; reasons: string[] }[];
  legitimate: { requests: number; ips: number };
  flaggedRequests: number;
  allowlisted: string[];
  /** Addresses the operator uses inside or around the range (blocking it asks to confirm). */
  operator: string[];
}

export interface RangeSuggestionsAnswer {
  suggestions: RangeSuggestion[];
  minIps: number;
  windowMs: number;
}
