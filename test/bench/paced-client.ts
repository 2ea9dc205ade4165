/**
 * An open-loop, fixed-rate HTTP load generator for the added-latency bench (wrk2 is not in Debian).
 * Usage: tsx paced-client.ts <url> <req/s> <seconds> <warm-up seconds> <connections> <ips-file>
 *
 * Request i is due at start + i / rate whatever happened to earlier ones, so a slow response never
 * delays later sends (no coordinated omission, as in Gil Tene's wrk2). A 1 ms timer sends every
 * request that is due; each one's latency runs from the moment it was handed to the connection
 * pool, so waiting for a free keep-alive connection counts. Sends that fell behind schedule by more
 * than 5 ms are counted and reported (`late`): a client that cannot keep the pace says so.
 * The warm-up's requests (JIT, connection pools, caches) are sent at the same rate but not measured.
 * Prints one JSON line: { sent, completed, errors, late, p50, p90, p99, p999, max } (latencies in ms;
 * counts include the warm-up).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';

const [, , urlText, rateText, secondsText, warmupText, connectionsText, ipsFile] = process.argv;
const url = new URL(urlText as string);
if (url.hostname !== '127.0.0.1') throw new Error(`bench traffic goes to 127.0.0.1 only, not ${url.host}`);
const rate = Number(rateText);
const seconds = Number(secondsText);
const ips = readFileSync(ipsFile as string, 'utf8')
  .split('\n')
  .filter(Boolean);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(connectionsText) });
const LATE_MS = 5;

const warmup = Math.round(rate * Number(warmupText));
const total = warmup + Math.round(rate * seconds);
const latencies = new Float64Array(total - warmup);
let measured = 0;
let sent = 0;
let completed = 0;
let errors = 0;
let late = 0;
const start = performance.now();

function send(i: number): void {
  const began = performance.now();
  const req = http.request(
    {
      agent,
      host: url.hostname,
      port: url.port,
      path: `/page/${i % 50}`,
      headers: { 'x-forwarded-for': ips[i % ips.length], 'user-agent': 'ipwarden-paced-bench' },
    },
    (res) => {
      res.resume();
      res.on('end', () => {
        done(i, began);
        if (res.statusCode !== 200) errors++;
      });
    },
  );
  req.on('error', () => {
    errors++;
    done(i, began);
  });
  req.end();
}

function tick(): void {
  const now = performance.now();
  const due = Math.min(total, Math.floor(((now - start) * rate) / 1000) + 1);
  for (; sent < due; sent++) {
    if (sent >= warmup && now - (start + (sent * 1000) / rate) > LATE_MS) late++;
    send(sent);
  }
  if (sent < total) setTimeout(tick, 1);
}

function done(i: number, began: number): void {
  completed++;
  if (i >= warmup) latencies[measured++] = performance.now() - began;
  if (completed < total) return;
  const sorted = latencies.sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  const result = {
    sent,
    completed,
    errors,
    late,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    p999: at(0.999),
  };
  process.stdout.write(`${JSON.stringify({ ...result, max: sorted[sorted.length - 1] })}\n`);
  agent.destroy();
}

tick();
