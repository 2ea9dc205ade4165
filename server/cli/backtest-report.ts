import type { BacktestIp, BacktestResult } from '../detection/index.js';

/**
 * A backtest as text tables: totals per side, then one table per list of the diff. Shows reason
 * codes, counts and times only — never paths or user agents a client sent (they may hold terminal
 * escapes); `--json` carries the full evidence.
 */
export function formatBacktest(result: BacktestResult): string {
  const { current: cur, candidate: cand, diff } = result;
  const lines = [
    `backtest ${result.since} – ${result.until}`,
    table(
      ['', 'windows', 'requests', 'flagged IPs', 'auto-blocked IPs', '429s'],
      [
        ['current', cur.windows, cur.records, cur.flaggedIps, cur.blockedIps, cur.rateLimitedRequests],
        ['candidate', cand.windows, cand.records, cand.flaggedIps, cand.blockedIps, cand.rateLimitedRequests],
      ].map((row) => row.map(String)),
    ),
  ];
  const late = Math.max(cur.lateRecords, cand.lateRecords);
  if (late > 0) lines.push(`  ${late} record(s) found in a later day's segment were left out`);
  const sections: [string, BacktestIp[]][] = [
    ['newly flagged', diff.newlyFlagged],
    ['no longer flagged', diff.noLongerFlagged],
    ['flagged for other reasons', diff.reasonsChanged],
    ['newly auto-blocked', diff.newlyBlocked],
    ['no longer auto-blocked', diff.noLongerBlocked],
  ];
  for (const [title, ips] of sections) {
    lines.push('', `${title}: ${ips.length}`);
    if (ips.length > 0)
      lines.push(table(['IP', 'reasons (count > threshold)', 'first', 'later logins'], ips.map(ipRow)));
  }
  lines.push('', `rate limits that change: ${diff.rateLimited.length}`);
  if (diff.rateLimited.length > 0) {
    lines.push(
      table(
        ['IP', 'rule', '429s now', '429s with candidate'],
        diff.rateLimited.map((r) => [r.ip, r.rule, String(r.current), String(r.candidate)]),
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

function ipRow(entry: BacktestIp): string[] {
  const reasons = entry.reasons
    .map((r) =>
      r.score !== undefined ? `${r.reason} score ${r.score}` : `${r.reason} ${r.count}>${r.threshold}`,
    )
    .join(', ');
  const first = entry.reasons.map((r) => r.firstAt).sort()[0] ?? '';
  const logins = entry.likelyFalsePositive ? `${entry.laterLogins} (likely false positive)` : '0';
  return [entry.ip, reasons, first.replace(/:\d\d\.\d{3}Z$/, 'Z'), logins];
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}
