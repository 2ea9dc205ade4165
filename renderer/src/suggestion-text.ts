/** Words for a range suggestion's card. Pure. */

import type { RangeSuggestion } from './backtest-types.js';
import { formatNumber } from './format.js';

/**
 * What a block of the range would also stop: the unflagged traffic of the last `hours`, and the
 * flagged IPs' own. When the flagged IPs sent nothing in that time, their flags come from older
 * traffic (a monitor run over an import), and a count of 0 must not read as "a free block".
 */
export function legitimateTrafficText(
  s: Pick<RangeSuggestion, 'legitimate' | 'flaggedRequests'>,
  hours: number,
): string {
  const ips = `${formatNumber(s.legitimate.ips)} unflagged ${s.legitimate.ips === 1 ? 'IP' : 'IPs'}`;
  const base = `Legitimate traffic in the last ${hours} h: ${formatNumber(s.legitimate.requests)} requests from ${ips} in the range (flagged IPs: ${formatNumber(s.flaggedRequests)} requests).`;
  if (s.flaggedRequests > 0) return base;
  return `${base} None of the flagged IPs sent a request in that time: their flags come from older traffic (a monitor run over an import?), so this says nothing about whom a block would stop today.`;
}
