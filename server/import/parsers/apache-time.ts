const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

const APACHE_TIME = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

/**
 * Apache/nginx `%t` / `$time_local` (`17/May/2015:10:05:03 +0000`) → epoch ms, or null when the text
 * is not that form or names an impossible time (31/Feb, 25:00). The offset is applied, so the result
 * is UTC. Format: Apache mod_log_config `%t` (https://httpd.apache.org/docs/2.4/mod/mod_log_config.html).
 */
export function parseApacheTime(text: string): number | null {
  const m = APACHE_TIME.exec(text);
  if (m === null) return null;
  const month = MONTHS[m[2] as string];
  if (month === undefined) return null;
  const year = Number(m[3]);
  const day = Number(m[1]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (hour > 23 || minute > 59 || second > 60) return null;
  const local = Date.UTC(year, month, day, hour, minute, second);
  // Date.UTC rolls 31/Feb over into March: check the day survived.
  if (new Date(local).getUTCDate() !== day) return null;
  const offsetMin = Number(m[8]) * 60 + Number(m[9]);
  return local - (m[7] === '-' ? -offsetMin : offsetMin) * 60_000;
}
