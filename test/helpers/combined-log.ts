/** One line of an Apache/nginx combined-format access log. */
export interface CombinedLine {
  ip: string;
  time: string;
  method: string;
  path: string;
  status: number;
  referrer: string;
  userAgent: string;
}

const COMBINED = /^(\S+) \S+ \S+ \[([^\]]+)\] "(\S+) (\S+)[^"]*" (\d{3}) \S+ "([^"]*)" "([^"]*)"?$/;

/** Parses a combined-format line (test helper for replaying ../shared/data/apache_logs); null if it does not match. */
export function parseCombined(line: string): CombinedLine | null {
  const m = COMBINED.exec(line);
  if (!m) return null;
  return {
    ip: m[1] as string,
    time: m[2] as string,
    method: m[3] as string,
    path: m[4] as string,
    status: Number(m[5]),
    referrer: m[6] as string,
    userAgent: m[7] as string,
  };
}

/** Path of the shared real access log (10,000 lines, 1,753 distinct IPs). */
export const APACHE_LOGS = new URL('../../../shared/data/apache_logs', import.meta.url);
