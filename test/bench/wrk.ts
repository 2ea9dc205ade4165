import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One wrk run's figures: requests per second, latency percentiles (ms), requests completed, errors. */
export interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
}

/** Writes a wrk Lua script that sends each request with the next of `ips` as X-Forwarded-For. */
export async function writeXffScript(dir: string, ips: string[]): Promise<string> {
  const file = path.join(dir, 'xff.lua');
  const list = ips.map((ip) => `"${ip}"`).join(',');
  await writeFile(
    file,
    `local ips = {${list}}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/page/" .. (i % 50), { ["X-Forwarded-For"] = ips[(i % #ips) + 1], ["User-Agent"] = "wrk-bench" })
end
done = function(summary, latency, requests)
  io.write(string.format("IPW %d %d %f %f %d\\n", summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
`,
  );
  return file;
}

/** Runs wrk against `url` (loopback only) for `seconds` with `connections`, bounded in time. */
export async function wrk(
  url: string,
  script: string,
  seconds: number,
  connections: number,
): Promise<WrkResult> {
  if (!/^http:\/\/127\.0\.0\.1:\d+/.test(url))
    throw new Error(`bench traffic goes to 127.0.0.1 only, not ${url}`);
  const args = ['-t', '1', '-c', String(connections), '-d', `${seconds}s`, '--latency', '-s', script, url];
  const { stdout } = await run('wrk', args, { timeout: (seconds + 30) * 1000 });
  const line = stdout.split('\n').find((l) => l.startsWith('IPW '));
  if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
  const [, requests, durationUs, p50us, p99us, errors] = line.split(' ').map(Number) as number[];
  return {
    rps: (requests as number) / ((durationUs as number) / 1e6),
    p50: (p50us as number) / 1000,
    p99: (p99us as number) / 1000,
    requests: requests as number,
    errors: errors as number,
  };
}
